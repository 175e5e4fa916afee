import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { loadConfig } from '../../src/config/config.js'
import { checkKubectl, type KubeObject, kustomize } from './kubectl.js'
import { validateObject } from './validate.js'

/**
 * deploy/overlays/oauth-proxy, built with `kubectl kustomize` (no cluster) and
 * validated offline: the sidecar, its Route, its cookie secret, the service
 * account's OAuth redirect reference, and the wiring that makes the service
 * accept the forwarded token (loopback, the header's name).
 */
type Obj = KubeObject & Record<string, any>

const ROOT = join(import.meta.dirname, '..', '..')
const NAMESPACE = 'must-gather-service'
let scratch: string
let objects: Obj[]

before(() => {
  console.log(`# ${checkKubectl()}`)
  // session_secret is made by whoever installs (kept out of git): make one here.
  scratch = mkdtempSync(join(tmpdir(), 'deploy-oauth-proxy-'))
  cpSync(join(ROOT, 'deploy'), join(scratch, 'deploy'), { recursive: true })
  writeFileSync(join(scratch, 'deploy', 'overlays', 'oauth-proxy', 'session_secret'), 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3')
  objects = kustomize(join(scratch, 'deploy', 'overlays', 'oauth-proxy')) as Obj[]
})
after(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
})

const one = (kind: string, name?: string): Obj => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name))
  assert.equal(found.length, 1, `expected one ${kind} ${name ?? ''}, found ${found.length}`)
  return found[0] as Obj
}
const containerNamed = (name: string): Obj => {
  const found = one('Deployment').spec.template.spec.containers.find((c: Obj) => c.name === name)
  assert.ok(found, `no container ${name}`)
  return found
}
const argument = (c: Obj, flag: string): string | undefined => (c.args as string[]).find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1)

describe('deploy/overlays/oauth-proxy', () => {
  it('keeps the cookie secret each installation makes out of git', () => {
    assert.match(readFileSync(join(ROOT, '.gitignore'), 'utf8'), /^deploy\/overlays\/oauth-proxy\/session_secret$/m)
  })

  it('validates against the Kubernetes and OpenShift schemas, everything in its namespace', () => {
    for (const object of objects) {
      assert.deepEqual(validateObject(object), [], `${object.kind} ${object.metadata.name}`)
      if (!['ClusterRoleBinding'].includes(object.kind)) assert.equal(object.metadata.namespace, NAMESPACE, `${object.kind} ${object.metadata.name}`)
    }
  })

  it('adds the oauth-proxy sidecar, forwarding the user\'s token to the service over loopback and verifying its certificate', () => {
    const proxy = containerNamed('oauth-proxy')
    const service = one('Service')
    const upstream = new URL(argument(proxy, '--upstream') ?? '')
    assert.equal(upstream.protocol, 'https:')
    assert.equal(upstream.hostname, `${service.metadata.name}.${NAMESPACE}.svc`, 'the name on the service\'s certificate')
    assert.equal(upstream.port, '8443')
    // That name resolves to 127.0.0.1 in the pod: the service sees a loopback peer.
    const aliases = one('Deployment').spec.template.spec.hostAliases
    assert.deepEqual(aliases, [{ ip: '127.0.0.1', hostnames: [upstream.hostname] }])
    assert.equal(argument(proxy, '--upstream-ca'), '/var/run/secrets/kubernetes.io/serviceaccount/service-ca.crt')
    assert.equal(argument(proxy, '--pass-access-token'), 'true')
    assert.equal(argument(proxy, '--pass-basic-auth'), 'false', 'Basic credentials would take the Authorization header\'s place')
    assert.equal(argument(proxy, '--provider'), 'openshift')
    assert.equal(argument(proxy, '--openshift-service-account'), one('ServiceAccount').metadata.name)
    assert.equal(proxy.securityContext.allowPrivilegeEscalation, false)
    assert.equal(proxy.securityContext.readOnlyRootFilesystem, true)
  })

  it('the service reads the header the proxy sets, and accepts the whole configuration', () => {
    const deployment = one('Deployment')
    const server = containerNamed('must-gather-service')
    const data = one('ConfigMap', server.envFrom[0].configMapRef.name).data
    assert.equal(data.FORWARDED_TOKEN_HEADER, 'X-Forwarded-Access-Token')
    const scratchFile = join(scratch, 'readable')
    writeFileSync(scratchFile, '')
    const env = { ...data, ...Object.fromEntries(server.env.map((e: Obj) => [e.name, e.value])), API_TLS_CERTIFICATE: scratchFile, API_TLS_KEY: scratchFile }
    const config = loadConfig(env)
    assert.equal(config.forwardedTokenHeader, 'x-forwarded-access-token')
    assert.equal(config.authMode, 'kubernetes')
    assert.equal(deployment.spec.template.spec.containers.length, 2)
  })

  it('mounts the cookie secret it generates and the serving certificate of the Service', () => {
    const proxy = containerNamed('oauth-proxy')
    const volumes = one('Deployment').spec.template.spec.volumes as Obj[]
    const cookieFile = argument(proxy, '--cookie-secret-file') ?? ''
    const cookieMount = proxy.volumeMounts.find((m: Obj) => cookieFile.startsWith(`${m.mountPath}/`))
    const cookieVolume = volumes.find((v) => v.name === cookieMount?.name)
    const secret = one('Secret', cookieVolume?.secret?.secretName)
    assert.equal(Buffer.from(secret.data[cookieFile.split('/').pop() as string], 'base64').length, 32, 'a 32-byte cookie secret')
    const tlsMount = proxy.volumeMounts.find((m: Obj) => (argument(proxy, '--tls-cert') ?? '').startsWith(`${m.mountPath}/`))
    const tlsVolume = volumes.find((v) => v.name === tlsMount?.name)
    assert.equal(tlsVolume?.secret?.secretName, one('Service').metadata.annotations?.['service.beta.openshift.io/serving-cert-secret-name'])
  })

  it('a reencrypt Route to the proxy\'s port, and the service account\'s OAuth redirect reference names it', () => {
    const proxyPort = containerNamed('oauth-proxy').ports.find((p: Obj) => p.name === 'console')
    assert.equal(argument(containerNamed('oauth-proxy'), '--https-address'), `:${proxyPort.containerPort}`)
    const servicePort = one('Service').spec.ports.find((p: Obj) => p.targetPort === 'console')
    assert.ok(servicePort, 'the Service exposes the proxy')
    const route = one('Route', 'must-gather-service-console')
    assert.equal(route.spec.to.name, one('Service').metadata.name)
    assert.equal(route.spec.port.targetPort, 'console')
    assert.equal(route.spec.tls.termination, 'reencrypt')
    const annotations = one('ServiceAccount').metadata.annotations as Record<string, string>
    const reference = Object.entries(annotations).find(([key]) => key.startsWith('serviceaccounts.openshift.io/oauth-redirectreference.'))
    assert.ok(reference, 'an oauth-redirectreference annotation')
    assert.deepEqual(JSON.parse(reference[1]), { kind: 'OAuthRedirectReference', apiVersion: 'v1', reference: { kind: 'Route', name: route.metadata.name } })
    // The base Route for API clients stays.
    assert.equal(one('Route', 'must-gather-service').spec.port.targetPort, 'https')
  })
})
