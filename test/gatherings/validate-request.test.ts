import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { ValidationError } from '../../src/gatherings/errors.js'
import { validateRequest as validateDomainRequest, type RequestDefaults } from '../../src/gatherings/validate-request.js'
import { gatheringRequestFrom, inWireTerms } from '../../src/routes/gathering-request.js'
import type { CreateGatheringBody } from '../../src/schemas/gathering.js'

/** A POST body as the route hands it to the domain, and the domain's errors as the route reports them. */
function validateRequest (body: CreateGatheringBody, defaults: RequestDefaults): ReturnType<typeof validateDomainRequest> {
  try {
    return validateDomainRequest(gatheringRequestFrom(body), defaults)
  } catch (error) {
    throw inWireTerms(error)
  }
}

const defaults = { defaultImage: '', defaultTimeout: '20m', maxTimeoutMs: 6 * 3600_000 }

function rejects (body: Record<string, unknown>, field: string, message: string | RegExp): void {
  assert.throws(() => validateRequest(body as CreateGatheringBody, defaults), (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected ValidationError, got ${String(error)}`)
    assert.equal(error.field, field)
    if (typeof message === 'string') assert.equal(error.message, message)
    else assert.match(error.message, message)
    return true
  })
}

describe('validateRequest', () => {
  it('an empty body runs with the server defaults', () => {
    const { customName, options } = validateRequest({}, { ...defaults, defaultImage: 'quay.io/org/image:v1' })
    assert.equal(customName, '')
    assert.deepEqual(options.images, ['quay.io/org/image:v1'])
    assert.equal(options.timeout, '20m')
    assert.deepEqual(options.command, [])
    assert.equal(options.volumePercentage, null)
  })

  it('treats null and empty strings as "not given", as the predecessor did', () => {
    const { options } = validateRequest({ image: null, 'image-stream': '', timeout: null, 'node-name': '' } as CreateGatheringBody, defaults)
    assert.deepEqual(options.images, [])
    assert.equal(options.timeout, '20m')
    assert.equal(options.nodeName, '')
  })

  it('accepts every option with a good value', () => {
    const { customName, options } = validateRequest({
      'custom-name': 'vm:My VM (prod):5f0c-11',
      image: 'quay.io/kubev2v/forklift-must-gather:latest,registry.example.com:5000/a/b@sha256:' + 'a'.repeat(64),
      'node-selector': 'node-role.kubernetes.io/worker=, kubernetes.io/os in (linux), !gpu',
      'host-network': true,
      'source-dir': '/must-gather/',
      timeout: '1h30m',
      since: '2h',
      'run-namespace': 'openshift-must-gather-x',
      'volume-percentage': 80,
      keep: true,
      server: 'https://api.cluster.example.com:6443',
      command: 'PLAN=plan1 /usr/bin/targeted'
    }, defaults)
    assert.equal(customName, 'vm:My VM (prod):5f0c-11')
    assert.equal(options.images.length, 2)
    assert.deepEqual(options.command, ['PLAN=plan1 /usr/bin/targeted'])
    assert.equal(options.volumePercentage, 80)
    assert.equal(options.hostNetwork, true)
    assert.equal(options.keep, true)
  })

  it('takes images, image streams and commands as arrays too', () => {
    const { options } = validateRequest({ 'image-stream': ['openshift/must-gather', 'ns/name:tag'], command: ['/usr/bin/gather', '--all'] }, defaults)
    assert.deepEqual(options.imageStreams, ['openshift/must-gather', 'ns/name:tag'])
    assert.deepEqual(options.command, ['/usr/bin/gather', '--all'])
    assert.deepEqual(options.images, [], 'the default image does not apply when a stream is given')
  })

  it('reads a bare integer timeout as seconds, as oc does', () => {
    assert.equal(validateRequest({ timeout: '90' }, defaults).options.timeout, '90s')
  })

  it('accepts since-time in RFC 3339 with offset and fraction', () => {
    assert.equal(validateRequest({ 'since-time': '2026-11-25T08:00:00.5+02:00' }, defaults).options.sinceTime, '2026-11-25T08:00:00.5+02:00')
  })

  describe('rejects, with oc\'s message where oc has one', () => {
    const cases: Array<[string, Record<string, unknown>, string, string | RegExp]> = [
      ['image with uppercase repository', { image: 'quay.io/Org/image' }, 'image', 'unable to parse image reference quay.io/Org/image: invalid reference format: repository name must be lowercase'],
      ['image with a space', { image: 'quay.io/org/im age' }, 'image', /^unable to parse image reference quay.io\/org\/im age: invalid reference format/],
      ['image that looks like a flag', { image: '--help' }, 'image', /unable to parse image reference --help/],
      ['one bad image in an array', { image: ['quay.io/ok', 'bad::ref'] }, 'image', /bad::ref/],
      ['image stream without namespace', { 'image-stream': 'must-gather:latest' }, 'image-stream', "unable to resolve image stream 'must-gather:latest': expected namespace/name:tag"],
      ['all-images with image', { 'all-images': true, image: 'quay.io/a/b' }, 'image', '--image and --all-images are mutually exclusive: please specify one or the other'],
      ['all-images with image-stream', { 'all-images': true, 'image-stream': 'a/b:c' }, 'image-stream', '--image-stream and --all-images are mutually exclusive: please specify one or the other'],
      ['all-images with host-network', { 'all-images': true, 'host-network': true }, 'host-network', '--host-network and --all-images are mutually exclusive: please specify one or the other'],
      ['all-images with node-name', { 'all-images': true, 'node-name': 'n1' }, 'node-name', '--node-name and --all-images are mutually exclusive: please specify one or the other'],
      ['all-images with run-namespace', { 'all-images': true, 'run-namespace': 'ns' }, 'run-namespace', '--run-namespace and --all-images are mutually exclusive: please specify one or the other'],
      ['node-name with node-selector', { 'node-name': 'n1', 'node-selector': 'a=b' }, 'node-name', '--node-name and --node-selector are mutually exclusive: please specify one or the other'],
      ['node-name with a slash', { 'node-name': 'a/b' }, 'node-name', "--node-name may not contain '/' or '%'"],
      ['node-name with a percent', { 'node-name': 'a%2f' }, 'node-name', "--node-name may not contain '/' or '%'"],
      ['node-name not a DNS name', { 'node-name': 'Node_1' }, 'node-name', /is not a valid node name/],
      ['node-selector that does not parse', { 'node-selector': 'a in (b' }, 'node-selector', /is not a label selector/],
      ['node-selector with a bad key', { 'node-selector': '-a=b' }, 'node-selector', /invalid label key/],
      ['run-namespace not a DNS label', { 'run-namespace': 'My_NS' }, 'run-namespace', /not a valid namespace name/],
      ['timeout not a duration', { timeout: '15 minutes' }, 'timeout', 'invalid argument "15 minutes" for "--timeout" flag: time: invalid duration "15 minutes"'],
      ['timeout of zero', { timeout: '0s' }, 'timeout', /greater than zero/],
      ['timeout above MAX_TIMEOUT', { timeout: '7h' }, 'timeout', /MAX_TIMEOUT=6h/],
      ['since not a duration', { since: 'yesterday' }, 'since', /invalid duration "yesterday"/],
      ['since negative', { since: '-1h' }, 'since', /must not be negative/],
      ['since with since-time', { since: '1h', 'since-time': '2026-01-01T00:00:00Z' }, 'since', 'at most one of `--since-time` or `--since` may be specified'],
      ['since-time not RFC 3339', { 'since-time': '2026-01-01 00:00:00' }, 'since-time', "--since-time only accepts times matching RFC3339, eg '2006-01-02T15:04:05Z'"],
      ['since-time on a day that does not exist', { 'since-time': '2026-02-30T00:00:00Z' }, 'since-time', /RFC3339/],
      ['volume-percentage 0', { 'volume-percentage': 0 }, 'volume-percentage', 'invalid volume usage percentage, please specify a value between 0 and 100'],
      ['volume-percentage 101', { 'volume-percentage': 101 }, 'volume-percentage', 'invalid volume usage percentage, please specify a value between 0 and 100'],
      ['server not a URL', { server: 'https://' }, 'server', /not a URL/],
      ['server with another scheme', { server: 'ftp://api.example.com' }, 'server', /must use https/],
      ['server with credentials', { server: 'https://user:pw@api.example.com' }, 'server', /without credentials/],
      ['custom-name with a newline', { 'custom-name': 'a\nb' }, 'custom-name', /control characters/],
      ['command with a NUL byte', { command: ['a\u0000b'] }, 'command', /control characters/],
      ['source-dir with a control character', { 'source-dir': '/must-gather/\u0007' }, 'source-dir', /control characters/],
      // JSON can carry a lone surrogate; as an argument (UTF-8) it would become U+FFFD: found by the reliability fuzz test.
      ['command with a lone surrogate', { command: ['a\ud800b'] }, 'command', 'command must be valid Unicode text (it holds a lone surrogate)'],
      ['custom-name with a lone surrogate', { 'custom-name': '\udc00' }, 'custom-name', /lone surrogate/]
    ]
    for (const [name, body, field, message] of cases) {
      it(name, () => rejects(body, field, message))
    }
  })
})
