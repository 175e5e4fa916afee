import assert from 'node:assert/strict'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { loadConfig } from '../../src/config/config.js'
import { checkKubectl, type KubeObject, kustomize } from './kubectl.js'
import { isNamespaced, validateObject } from './validate.js'

// Builds deploy/ with `kubectl kustomize` (no cluster), validates every object
// offline, and checks what the service and OpenShift need from them.
// Without kubectl every test fails with what to do: CI installs it (.ci/run).

/** Manifests are untyped JSON. */
type Obj = KubeObject & Record<string, any>

const ROOT = join(import.meta.dirname, '..', '..')
const DEPLOY = join(ROOT, 'deploy')

interface Build { name: string, namespace: string | undefined, objects: Obj[] }
const builds: Record<string, Build> = {}
let scratch: string

before(() => {
  console.log(`# ${checkKubectl()}`)
  // The component is commented out in the overlays: build copies with it switched on.
  scratch = mkdtempSync(join(tmpdir(), 'deploy-test-'))
  cpSync(DEPLOY, join(scratch, 'deploy'), { recursive: true })
  for (const overlay of ['standalone', 'forklift']) {
    const file = join(scratch, 'deploy', 'overlays', overlay, 'kustomization.yaml')
    const text = readFileSync(file, 'utf8')
    const enabled = text.replace('# components:\n#   - ../../components/oc-credentials-service', 'components:\n  - ../../components/oc-credentials-service')
    assert.notEqual(enabled, text, `${overlay}: the commented oc-credentials-service component is not where the test expects it`)
    writeFileSync(file, enabled)
  }
  // docs/deploy.md's own overlay, from its YAML blocks headed `# deploy/overlays/mine/<file>`,
  // its placeholders filled in.
  const blocks = [...readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8').matchAll(/```yaml\n# (deploy\/overlays\/mine\/[\w.-]+)\n([\s\S]*?)```/g)]
  assert.deepEqual(blocks.map((b) => b[1]).sort(), ['deploy/overlays/mine/kustomization.yaml', 'deploy/overlays/mine/must-gather-user.yaml'])
  mkdirSync(join(scratch, 'deploy', 'overlays', 'mine'))
  for (const [, file, body] of blocks) writeFileSync(join(scratch, file as string), (body as string).replaceAll('<you>', 'example').replaceAll('<your release>', '1.0.0'))
  const build = (name: string, dir: string, namespace: string | undefined): void => {
    builds[name] = { name, namespace, objects: kustomize(dir) as Obj[] }
  }
  build('base', join(DEPLOY, 'base'), undefined)
  build('standalone', join(DEPLOY, 'overlays', 'standalone'), 'must-gather-service')
  build('forklift', join(DEPLOY, 'overlays', 'forklift'), 'openshift-mtv')
  build('standalone + oc-credentials-service', join(scratch, 'deploy', 'overlays', 'standalone'), 'must-gather-service')
  build('forklift + oc-credentials-service', join(scratch, 'deploy', 'overlays', 'forklift'), 'openshift-mtv')
  build('docs/deploy.md\'s overlay', join(scratch, 'deploy', 'overlays', 'mine'), 'openshift-mtv')
})

after(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
})

const get = (build: Build, kind: string, name?: string): Obj => {
  const found = build.objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name))
  assert.equal(found.length, 1, `${build.name}: expected one ${kind}${name !== undefined ? ` ${name}` : ''}, found ${found.map((o) => o.metadata.name).join(', ') || 'none'}`)
  return found[0] as Obj
}
const all = (kind: string): Array<[string, Obj]> => Object.values(builds).map((b) => [b.name, get(b, kind)])
const container = (deployment: Obj): Obj => deployment.spec.template.spec.containers[0]
const volume = (deployment: Obj, mountPath: string): Obj => {
  const mount = container(deployment).volumeMounts.find((m: Obj) => m.mountPath === mountPath)
  assert.ok(mount, `nothing mounted at ${mountPath}`)
  return { ...deployment.spec.template.spec.volumes.find((v: Obj) => v.name === mount.name), mount }
}
/** The environment the container starts with: its ConfigMap, then its own `env`. */
const environment = (build: Build): Record<string, string> => {
  const c = container(get(build, 'Deployment'))
  const configMaps = c.envFrom.map((source: Obj) => get(build, 'ConfigMap', source.configMapRef.name).data)
  const own = Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value]))
  return Object.assign({}, ...configMaps, own)
}
const under = (path: string, dir: string): boolean => !posix.relative(dir, path).startsWith('..')

describe('deploy/: kustomize build and offline validation', () => {
  it('every build validates against the Kubernetes and OpenShift schemas', () => {
    for (const build of Object.values(builds)) {
      for (const object of build.objects) {
        assert.deepEqual(validateObject(object), [], `${build.name}: ${object.kind} ${object.metadata.name}`)
      }
    }
  })

  it('base sets no namespace; each overlay puts everything namespaced in its own', () => {
    for (const build of Object.values(builds)) {
      for (const object of build.objects) {
        const expected = isNamespaced(object) ? build.namespace : undefined
        assert.equal(object.metadata.namespace, expected, `${build.name}: ${object.kind} ${object.metadata.name}`)
      }
    }
  })

  it('ClusterRoleBindings name the overlay\'s ServiceAccount in its namespace', () => {
    for (const build of Object.values(builds).filter((b) => b.namespace !== undefined)) {
      const account = get(build, 'ServiceAccount')
      assert.equal(get(build, 'Deployment').spec.template.spec.serviceAccountName, account.metadata.name)
      for (const binding of build.objects.filter((o) => o.kind === 'ClusterRoleBinding')) {
        assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: build.namespace }], `${build.name}: ${binding.metadata.name}`)
      }
    }
  })

  it('the service accepts the configuration the Deployment gives it', () => {
    const readsSomewhere = readdirSync(join(ROOT, 'src', 'config')).map((f) => readFileSync(join(ROOT, 'src', 'config', f), 'utf8')).join('\n')
    // The TLS files exist only in the pod; the loader checks that they are readable.
    const scratchFile = join(scratch, 'readable')
    writeFileSync(scratchFile, '')
    for (const build of Object.values(builds)) {
      const env = environment(build)
      for (const name of Object.keys(env).filter((n) => n !== 'HOME')) {
        assert.match(readsSomewhere, new RegExp(`'${name}'`), `${build.name}: ${name} is not a variable src/config reads`)
      }
      const config = loadConfig({ ...env, API_TLS_CERTIFICATE: scratchFile, API_TLS_KEY: scratchFile })
      assert.equal(config.port, 8443)
      assert.equal(config.authMode, 'kubernetes')
    }
  })
})

describe('deploy/base', () => {
  it('runs one replica, recreated, never two at once on the SQLite volume', () => {
    for (const [name, deployment] of all('Deployment')) {
      assert.equal(deployment.spec.replicas, 1, name)
      assert.deepEqual(deployment.spec.strategy, { type: 'Recreate' }, name)
      assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds >= 90, `${name}: SHUTDOWN_GRACE + CANCEL_GRACE must fit`)
    }
  })

  it('probes /healthz and /readyz on the metrics port (METRICS_PORT, plain HTTP), not on the API port', () => {
    for (const build of Object.values(builds)) {
      const c = container(get(build, 'Deployment'))
      const port = (name: string): number | undefined => c.ports.find((p: Obj) => p.name === name)?.containerPort
      assert.equal(port('https'), 8443, build.name)
      assert.equal(port('metrics'), Number(environment(build).METRICS_PORT), `${build.name}: METRICS_PORT is the metrics container port`)
      for (const [probe, path] of [['livenessProbe', '/healthz'], ['startupProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
        assert.deepEqual(c[probe].httpGet, { path, port: 'metrics', scheme: 'HTTP' }, `${build.name}: ${probe}`)
      }
    }
  })

  it('admits only the router to the API port and the monitoring namespaces to the metrics port (NetworkPolicy)', () => {
    for (const build of Object.values(builds)) {
      const policy = get(build, 'NetworkPolicy')
      const deployment = get(build, 'Deployment')
      for (const [key, value] of Object.entries(policy.spec.podSelector.matchLabels)) {
        assert.equal(deployment.spec.template.metadata.labels[key], value, `${build.name}: podSelector ${key}`)
      }
      assert.deepEqual(policy.spec.policyTypes, ['Ingress'], build.name)
      const admitted = policy.spec.ingress.map((rule: Obj) => `${rule.from.map((f: Obj) => JSON.stringify(f.namespaceSelector.matchLabels)).join('|')} → ${rule.ports.map((p: Obj) => p.port).join(',')}`).sort()
      const expected = [
        '{"network.openshift.io/policy-group":"ingress"} → https',
        '{"network.openshift.io/policy-group":"monitoring"} → metrics',
        // The console's proxy, for the Forklift plugin.
        ...(build.name.startsWith('forklift') || build.name.startsWith('docs') ? ['{"kubernetes.io/metadata.name":"openshift-console"} → https'] : [])
      ].sort()
      assert.deepEqual(admitted, expected, build.name)
      assert.ok(policy.spec.ingress.every((rule: Obj) => rule.from.every((f: Obj) => f.podSelector === undefined && f.ipBlock === undefined)), `${build.name}: whole namespaces only`)
    }
  })

  it('is restricted-v2 compatible: non-root, no escalation, no capabilities, RuntimeDefault seccomp, no fixed UID', () => {
    for (const [name, deployment] of all('Deployment')) {
      const pod = deployment.spec.template.spec
      const c = container(deployment)
      assert.equal(pod.securityContext.runAsNonRoot, true, name)
      assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' }, name)
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, name)
      assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] }, name)
      assert.equal(c.securityContext.runAsNonRoot, true, name)
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, name)
      for (const context of [pod.securityContext, c.securityContext]) {
        for (const fixed of ['runAsUser', 'runAsGroup', 'fsGroup', 'privileged']) assert.equal(context[fixed], undefined, `${name}: ${fixed}`)
      }
      assert.equal(pod.hostNetwork ?? false, false, name)
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${name}: resources`)
    }
  })

  it('keeps the database and the data directory on the PersistentVolumeClaim', () => {
    for (const build of Object.values(builds)) {
      const deployment = get(build, 'Deployment')
      const env = environment(build)
      const data = volume(deployment, dirname(env.DB_PATH as string))
      assert.equal(data.persistentVolumeClaim.claimName, get(build, 'PersistentVolumeClaim').metadata.name, build.name)
      assert.ok(under(env.DATA_DIR as string, data.mount.mountPath), `${build.name}: DATA_DIR ${env.DATA_DIR} is not on the volume`)
      assert.deepEqual(get(build, 'PersistentVolumeClaim').spec.accessModes, ['ReadWriteOnce'], build.name)
    }
  })

  it('keeps callers\' kubeconfigs in memory, in a directory below the mount the service can chmod', () => {
    for (const build of Object.values(builds)) {
      const credentialsDir = environment(build).CREDENTIALS_DIR as string
      const credentials = volume(get(build, 'Deployment'), dirname(credentialsDir))
      assert.equal(credentials.emptyDir?.medium, 'Memory', build.name)
    }
  })

  it('serves HTTPS with the service-serving certificate, mounted read-only', () => {
    for (const build of Object.values(builds)) {
      const deployment = get(build, 'Deployment')
      const env = environment(build)
      const tls = volume(deployment, dirname(env.API_TLS_CERTIFICATE as string))
      assert.equal(tls.mount.readOnly, true, build.name)
      assert.equal(dirname(env.API_TLS_KEY as string), tls.mount.mountPath, build.name)
      assert.deepEqual([env.API_TLS_CERTIFICATE, env.API_TLS_KEY].map((p) => posix.basename(p as string)), ['tls.crt', 'tls.key'])
      const service = get(build, 'Service')
      assert.equal(service.metadata.annotations?.['service.beta.openshift.io/serving-cert-secret-name'], tls.secret.secretName, build.name)
      assert.equal(tls.secret.secretName, `${service.metadata.name}-tls`, build.name)
    }
  })

  it('exposes port 8443 through the Service and a reencrypt Route that redirects HTTP; the metrics port only through the Service', () => {
    for (const build of Object.values(builds)) {
      const service = get(build, 'Service')
      const deployment = get(build, 'Deployment')
      assert.deepEqual(service.spec.ports, [
        { name: 'https', port: 8443, targetPort: 'https', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' }
      ], build.name)
      for (const [key, value] of Object.entries(service.spec.selector)) {
        assert.equal(deployment.spec.template.metadata.labels[key], value, `${build.name}: selector ${key}`)
      }
      const route = get(build, 'Route')
      assert.deepEqual(route.spec.to, { kind: 'Service', name: service.metadata.name, weight: 100 }, build.name)
      assert.equal(route.spec.port.targetPort, 'https', build.name)
      assert.equal(route.spec.tls.termination, 'reencrypt', build.name)
      assert.equal(route.spec.tls.insecureEdgeTerminationPolicy, 'Redirect', build.name)
    }
  })

  it('grants the ServiceAccount system:auth-delegator, and nothing else without the component', () => {
    for (const build of [builds.base, builds.standalone, builds.forklift] as Build[]) {
      const bindings = build.objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')
      assert.deepEqual(bindings.map((b) => b.roleRef), [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' }], build.name)
      assert.equal(environment(build).OC_CREDENTIALS, 'caller', build.name)
    }
  })

  it('configures what the deployment guide promises', () => {
    const env = environment(builds.base as Build)
    assert.equal(env.PORT, '8443')
    assert.equal(env.AUTH_MODE, 'kubernetes')
    assert.equal(env.CLEANUP_MAX_AGE, '168h')
    assert.equal(env.DB_PATH, '/var/lib/must-gather-service/gatherings.db')
    assert.equal(env.DATA_DIR, '/var/lib/must-gather-service/gatherings')
    assert.match(container(get(builds.base as Build, 'Deployment')).image, /^quay\.io\/kubev2v\/must-gather-service:\d+\.\d+\.\d+$/)
  })
})

describe('deploy/overlays/forklift', () => {
  it('answers where forklift-must-gather-api did: same Service name and port, in the MTV namespace', () => {
    const forklift = builds.forklift as Build
    const service = get(forklift, 'Service', 'forklift-must-gather-api')
    assert.equal(service.metadata.namespace, 'openshift-mtv')
    assert.equal(service.spec.ports[0].port, 8443)
    assert.equal(get(forklift, 'Route').spec.to.name, 'forklift-must-gather-api')
  })

  it('runs the Forklift must-gather image by default', () => {
    assert.equal(environment(builds.forklift as Build).MUST_GATHER_IMAGE, 'quay.io/kubev2v/forklift-must-gather')
    assert.equal(environment(builds.standalone as Build).MUST_GATHER_IMAGE, undefined)
  })
})

describe('docs/deploy.md', () => {
  it('its overlay sets the image, a dedicated access rule and the RBAC that grants it', () => {
    const mine = builds['docs/deploy.md\'s overlay'] as Build
    assert.equal(container(get(mine, 'Deployment')).image, 'quay.io/example/must-gather-service:0.1.0')
    const env = environment(mine)
    const rule = get(mine, 'Role').rules[0]
    assert.deepEqual([env.AUTHZ_VERB, env.AUTHZ_GROUP, env.AUTHZ_RESOURCE, env.AUTHZ_NAMESPACE], [rule.verbs[0], rule.apiGroups[0], rule.resources[0], get(mine, 'Role').metadata.namespace])
    assert.equal(get(mine, 'RoleBinding').roleRef.name, get(mine, 'Role').metadata.name)
    assert.equal(get(mine, 'Service').metadata.name, 'forklift-must-gather-api')
  })
})

describe('deploy/components/oc-credentials-service', () => {
  it('switches oc to the service account and makes that account cluster-admin', () => {
    for (const name of ['standalone + oc-credentials-service', 'forklift + oc-credentials-service']) {
      const build = builds[name] as Build
      assert.equal(environment(build).OC_CREDENTIALS, 'service', name)
      const roles = build.objects.filter((o) => o.kind === 'ClusterRoleBinding').map((b) => b.roleRef.name).sort()
      assert.deepEqual(roles, ['cluster-admin', 'system:auth-delegator'], name)
    }
  })
})
