import assert from 'node:assert/strict'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { parseAllDocuments } from 'yaml'

import { loadConfig } from '../../src/config/config.js'
import { checkKubectl, type KubeObject, kustomize } from './kubectl.js'
import { isNamespaced, validateObject } from './validate.js'

/**
 * deploy/overlays/ha, built with `kubectl kustomize` (no cluster) and
 * validated offline: three replicas rolled one at a time, spread over nodes,
 * a disruption budget, a ReadWriteMany volume, DATABASE_URL from the secret
 * docs/deploy.md tells how to get, and nothing else changed from standalone.
 */
type Obj = KubeObject & Record<string, any>

const ROOT = join(import.meta.dirname, '..', '..')
const NAMESPACE = 'must-gather-service'
const GUIDE = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8')
/** What the ha overlay changes from standalone; every other object must be standalone's, unchanged. */
const CHANGED = ['Deployment', 'PersistentVolumeClaim', 'PodDisruptionBudget']

let scratch: string
const builds: Record<'ha' | 'ha + oc-credentials-service' | 'standalone' | 'docs/deploy.md\'s PGO overlay', Obj[]> = {
  ha: [], 'ha + oc-credentials-service': [], standalone: [], 'docs/deploy.md\'s PGO overlay': []
}

before(() => {
  console.log(`# ${checkKubectl()}`)
  scratch = mkdtempSync(join(tmpdir(), 'deploy-ha-'))
  cpSync(join(ROOT, 'deploy'), join(scratch, 'deploy'), { recursive: true })
  // The component is commented out in the overlay: build a copy with it switched on.
  mkdirSync(join(scratch, 'with-component'))
  cpSync(join(ROOT, 'deploy'), join(scratch, 'with-component', 'deploy'), { recursive: true })
  const file = join(scratch, 'with-component', 'deploy', 'overlays', 'ha', 'kustomization.yaml')
  const text = readFileSync(file, 'utf8')
  const enabled = text.replace('# components:\n#   - ../../components/oc-credentials-service', 'components:\n  - ../../components/oc-credentials-service')
  assert.notEqual(enabled, text, 'ha: the commented oc-credentials-service component is not where the test expects it')
  writeFileSync(file, enabled)
  // docs/deploy.md's overlay for Crunchy PGO, from its YAML block.
  const pgo = /```yaml\n# deploy\/overlays\/ha-pgo\/kustomization\.yaml\n([\s\S]*?)```/.exec(GUIDE)
  assert.ok(pgo, 'docs/deploy.md has a block headed # deploy/overlays/ha-pgo/kustomization.yaml')
  mkdirSync(join(scratch, 'deploy', 'overlays', 'ha-pgo'))
  writeFileSync(join(scratch, 'deploy', 'overlays', 'ha-pgo', 'kustomization.yaml'), pgo[1] as string)

  builds.ha = kustomize(join(ROOT, 'deploy', 'overlays', 'ha')) as Obj[]
  builds.standalone = kustomize(join(ROOT, 'deploy', 'overlays', 'standalone')) as Obj[]
  builds['ha + oc-credentials-service'] = kustomize(join(scratch, 'with-component', 'deploy', 'overlays', 'ha')) as Obj[]
  builds['docs/deploy.md\'s PGO overlay'] = kustomize(join(scratch, 'deploy', 'overlays', 'ha-pgo')) as Obj[]
})

after(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
})

const one = (objects: Obj[], kind: string, name?: string): Obj => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name))
  assert.equal(found.length, 1, `expected one ${kind} ${name ?? ''}, found ${found.length}`)
  return found[0] as Obj
}
const deployment = (objects: Obj[] = builds.ha): Obj => one(objects, 'Deployment')
const server = (objects: Obj[] = builds.ha): Obj => deployment(objects).spec.template.spec.containers.find((c: Obj) => c.name === 'must-gather-service')
const envEntry = (name: string, objects: Obj[] = builds.ha): Obj | undefined => server(objects).env.find((e: Obj) => e.name === name)
const configMap = (objects: Obj[] = builds.ha): Record<string, string> => one(objects, 'ConfigMap', server(objects).envFrom[0].configMapRef.name).data
/** Does a matchLabels selector select the Deployment's pods? */
const selectsPods = (matchLabels: Record<string, string>): boolean => {
  const labels = deployment().spec.template.metadata.labels as Record<string, string>
  return Object.keys(matchLabels).length > 0 && Object.entries(matchLabels).every(([key, value]) => labels[key] === value)
}
/** The YAML blocks of docs/deploy.md, parsed. */
const guideYaml = (): Obj[] => [...GUIDE.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((block) => parseAllDocuments(block[1] as string).map((d) => d.toJS() as Obj))

describe('deploy/overlays/ha', () => {
  it('validates against the Kubernetes and OpenShift schemas, everything namespaced in its namespace', () => {
    for (const object of builds.ha) {
      assert.deepEqual(validateObject(object), [], `${object.kind} ${object.metadata.name}`)
      assert.equal(object.metadata.namespace, isNamespaced(object) ? NAMESPACE : undefined, `${object.kind} ${object.metadata.name}`)
    }
    const account = one(builds.ha, 'ServiceAccount')
    assert.equal(deployment().spec.template.spec.serviceAccountName, account.metadata.name)
    for (const binding of builds.ha.filter((o) => o.kind === 'ClusterRoleBinding')) {
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: NAMESPACE }], binding.metadata.name)
    }
  })

  it('changes only the Deployment and the claim, and adds a PodDisruptionBudget: everything else is standalone\'s', () => {
    const key = (o: Obj): string => `${o.kind} ${o.metadata.name}`
    assert.deepEqual(builds.ha.filter((o) => o.kind !== 'PodDisruptionBudget').map(key).sort(), builds.standalone.map(key).sort())
    for (const object of builds.ha.filter((o) => !CHANGED.includes(o.kind))) {
      assert.deepEqual(object, one(builds.standalone, object.kind, object.metadata.name), key(object))
    }
    // The Deployment too, but for what several replicas need.
    const strip = (d: Obj): Obj => {
      const copy = structuredClone(d)
      delete copy.spec.replicas
      delete copy.spec.strategy
      delete copy.spec.template.spec.affinity
      copy.spec.template.spec.containers[0].env = copy.spec.template.spec.containers[0].env.filter((e: Obj) => !['DATABASE_URL', 'REPLICA_NAME'].includes(e.name))
      return copy
    }
    assert.deepEqual(strip(deployment()), strip(deployment(builds.standalone)))
  })

  it('runs three replicas, rolled out one new pod at a time and never fewer than three ready', () => {
    assert.equal(deployment().spec.replicas, 3)
    assert.deepEqual(deployment().spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } })
    assert.ok(deployment().spec.template.spec.terminationGracePeriodSeconds >= 90, 'SHUTDOWN_GRACE + CANCEL_GRACE must fit')
  })

  it('prefers one replica per node, without requiring it, so a cluster of two nodes still runs all three', () => {
    const affinity = deployment().spec.template.spec.affinity
    assert.deepEqual(Object.keys(affinity), ['podAntiAffinity'])
    assert.equal(affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, undefined, 'required anti-affinity leaves a replica Pending on two nodes')
    const terms = affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution as Obj[]
    assert.equal(terms.length, 1)
    assert.equal(terms[0]?.podAffinityTerm.topologyKey, 'kubernetes.io/hostname')
    assert.ok(selectsPods(terms[0]?.podAffinityTerm.labelSelector.matchLabels), 'the term selects the service\'s own pods')
    assert.ok(terms[0]?.weight > 0)
  })

  it('lets voluntary disruptions (node drains) stop one replica at a time', () => {
    const budget = one(builds.ha, 'PodDisruptionBudget')
    assert.deepEqual(budget.spec.selector.matchLabels, deployment().spec.selector.matchLabels)
    assert.ok(selectsPods(budget.spec.selector.matchLabels))
    const replicas = deployment().spec.replicas as number
    const allowed = budget.spec.maxUnavailable ?? replicas - budget.spec.minAvailable
    assert.equal(allowed, 1, 'one replica at a time')
    assert.deepEqual(budget.metadata.labels, one(builds.ha, 'Service').metadata.labels, 'found by the same labels as the rest')
  })

  it('keeps DATA_DIR on one ReadWriteMany claim every replica mounts, on the cluster\'s default storage class', () => {
    const claim = one(builds.ha, 'PersistentVolumeClaim')
    assert.deepEqual(claim.spec.accessModes, ['ReadWriteMany'])
    assert.equal(claim.spec.storageClassName, undefined, 'left to the cluster\'s default (docs/deploy.md: it must offer ReadWriteMany)')
    const standaloneSize = one(builds.standalone, 'PersistentVolumeClaim').spec.resources.requests.storage as string
    assert.ok(Number.parseInt(claim.spec.resources.requests.storage) >= Number.parseInt(standaloneSize), 'at least standalone\'s size, for three replicas\' runs')
    const pod = deployment().spec.template.spec
    const volume = pod.volumes.find((v: Obj) => v.persistentVolumeClaim?.claimName === claim.metadata.name)
    const mount = server().volumeMounts.find((m: Obj) => m.name === volume?.name)
    assert.ok(mount, 'the claim is mounted')
    assert.ok(!posix.relative(mount.mountPath, configMap().DATA_DIR as string).startsWith('..'), `DATA_DIR ${configMap().DATA_DIR} is on the shared claim`)
  })

  it('reads DATABASE_URL from the Secret CloudNativePG writes for docs/deploy.md\'s Cluster (<cluster>-app, key uri), which is not in git', () => {
    const ref = envEntry('DATABASE_URL')?.valueFrom?.secretKeyRef
    assert.ok(ref, 'DATABASE_URL comes from a secretKeyRef')
    assert.equal(ref.key, 'uri')
    assert.equal(ref.optional, undefined, 'a missing secret stops the pod, naming it, rather than starting it on SQLite')
    assert.equal(configMap().DATABASE_URL, undefined, 'never in the ConfigMap')
    assert.equal(builds.ha.filter((o) => o.kind === 'Secret').length, 0, 'the overlay commits no Secret')
    const clusters = guideYaml().filter((o) => o?.apiVersion === 'postgresql.cnpg.io/v1' && o.kind === 'Cluster')
    assert.equal(clusters.length, 1, 'docs/deploy.md shows one CloudNativePG Cluster')
    const cluster = clusters[0] as Obj
    assert.equal(`${cluster.metadata.name}-app`, ref.name, 'CloudNativePG names the secret <cluster>-app')
    assert.equal(cluster.metadata.namespace, NAMESPACE)
    assert.equal(cluster.spec.instances, 3)
    assert.ok(cluster.spec.storage.size, 'the Cluster has storage')
    // CloudNativePG names a ServiceAccount after the Cluster.
    assert.notEqual(cluster.metadata.name, one(builds.ha, 'ServiceAccount').metadata.name)
    // And the guide's command for any other database creates the same secret and key.
    const create = /oc create secret generic (\S+) -n (\S+) \\\n\s+--from-literal=(\w+)='(postgres(?:ql)?:\/\/[^']+)'/.exec(GUIDE)
    assert.ok(create, 'docs/deploy.md shows `oc create secret generic ... --from-literal=...`')
    assert.deepEqual([create[1], create[2], create[3]], [ref.name, NAMESPACE, ref.key])
  })

  it('names each replica after its pod, and leaves REPLICA_LEASE at its default', () => {
    assert.deepEqual(envEntry('REPLICA_NAME')?.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } })
    assert.equal(envEntry('REPLICA_LEASE'), undefined)
    assert.equal(configMap().REPLICA_LEASE, undefined)
  })

  it('gives the service a configuration it accepts, PostgreSQL selected', () => {
    const scratchFile = join(scratch, 'readable')
    writeFileSync(scratchFile, '')
    // What the kubelet fills in from the Secret and the pod's name.
    const fromPod: Record<string, string> = {
      DATABASE_URL: 'postgresql://app:s3cret@must-gather-service-db-rw.must-gather-service:5432/app',
      REPLICA_NAME: 'must-gather-service-5c9d8b7f4d-x2x7q'
    }
    const own = Object.fromEntries(server().env.map((e: Obj) => [e.name, e.value ?? fromPod[e.name]]))
    for (const [name, value] of Object.entries(own)) assert.notEqual(value, undefined, `${name}: no value, and the test does not know what fills it in`)
    const config = loadConfig({ ...configMap(), ...own, API_TLS_CERTIFICATE: scratchFile, API_TLS_KEY: scratchFile })
    assert.equal(config.databaseUrl, fromPod.DATABASE_URL)
    assert.equal(config.authMode, 'kubernetes')
    assert.equal(config.port, 8443)
  })

  const configSources = (): string => readdirSync(join(ROOT, 'src', 'config')).map((f) => readFileSync(join(ROOT, 'src', 'config', f), 'utf8')).join('\n')
  it('sets only variables src/config reads', () => {
    const names = [...server().env.map((e: Obj) => e.name as string), ...Object.keys(configMap())].filter((n) => n !== 'HOME')
    const sources = configSources()
    assert.deepEqual(names.filter((name) => !sources.includes(`'${name}'`)), [], 'variables src/config does not read')
  })

  it('runs oc as the caller by default; with the oc-credentials-service component, as the service account, so any replica runs any queued execution', () => {
    assert.equal(configMap().OC_CREDENTIALS, 'caller')
    const withComponent = builds['ha + oc-credentials-service']
    assert.equal(configMap(withComponent).OC_CREDENTIALS, 'service')
    const roles = withComponent.filter((o) => o.kind === 'ClusterRoleBinding').map((b) => b.roleRef.name).sort()
    assert.deepEqual(roles, ['cluster-admin', 'system:auth-delegator'])
    assert.equal(deployment(withComponent).spec.replicas, 3)
  })
})

describe('docs/deploy.md, Several replicas', () => {
  it('its Crunchy PGO overlay points DATABASE_URL at PGO\'s <cluster>-pguser-<user> secret and changes nothing else', () => {
    const pgo = builds['docs/deploy.md\'s PGO overlay']
    const ref = envEntry('DATABASE_URL', pgo)?.valueFrom?.secretKeyRef
    assert.match(ref?.name ?? '', /^([a-z0-9-]+)-pguser-[a-z0-9-]+$/)
    assert.equal(ref?.key, 'uri')
    const withoutSecretName = (objects: Obj[]): Obj[] => objects.map((o) => {
      const copy = structuredClone(o)
      if (copy.kind === 'Deployment') delete copy.spec.template.spec.containers[0].env.find((e: Obj) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef.name
      return copy
    })
    assert.deepEqual(withoutSecretName(pgo), withoutSecretName(builds.ha))
    for (const object of pgo) assert.deepEqual(validateObject(object), [], `${object.kind} ${object.metadata.name}`)
  })

  it('links from the README\'s Which store section and names the overlay in the layout', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    assert.match(readme, /\]\(docs\/deploy\.md#several-replicas-the-ha-overlay\)/)
    assert.match(GUIDE, /^## Several replicas \(the `ha` overlay\)$/m)
    assert.match(GUIDE, /^ {2}overlays\/ha\/ +\S/m)
  })
})
