import assert from 'node:assert/strict'
import { it } from 'node:test'

import { buildOcArgs } from '../../src/gatherings/oc-args.js'
import { validateRequest as validateDomainRequest } from '../../src/gatherings/validate-request.js'
import { gatheringRequestFrom } from '../../src/routes/gathering-request.js'
import type { CreateGatheringBody } from '../../src/schemas/gathering.js'

const validateRequest = (body: CreateGatheringBody, defaults: Parameters<typeof validateDomainRequest>[1]) => validateDomainRequest(gatheringRequestFrom(body), defaults)

const defaults = { defaultImage: '', defaultTimeout: '20m', maxTimeoutMs: 6 * 3600_000 }

it('passes every option in --flag=value form and the command after --', () => {
  const { options } = validateRequest({
    image: ['quay.io/a/b:1', 'quay.io/c/d'],
    'node-selector': 'role=worker',
    'host-network': true,
    'source-dir': '/data',
    timeout: '5m',
    since: '1h',
    'run-namespace': 'ns',
    'volume-percentage': 50,
    keep: true,
    server: 'https://api.example.com:6443',
    command: 'PLAN=plan1 /usr/bin/targeted'
  }, defaults)
  assert.deepEqual(buildOcArgs(options, '/data/7/must-gather.local.7'), [
    'adm', 'must-gather', '--dest-dir=/data/7/must-gather.local.7',
    '--image=quay.io/a/b:1', '--image=quay.io/c/d',
    '--node-selector=role=worker', '--host-network=true', '--source-dir=/data', '--timeout=5m', '--since=1h',
    '--run-namespace=ns', '--volume-percentage=50', '--keep=true', '--server=https://api.example.com:6443',
    '--', 'PLAN=plan1 /usr/bin/targeted'
  ])
})

it('leaves out options that were not given and passes an array command as separate arguments', () => {
  const { options } = validateRequest({ 'all-images': true, 'since-time': '2026-01-01T00:00:00Z', command: ['/usr/bin/gather', '--x'] }, defaults)
  assert.deepEqual(buildOcArgs(options, '/d'), [
    'adm', 'must-gather', '--dest-dir=/d', '--all-images=true', '--timeout=20m', '--since-time=2026-01-01T00:00:00Z', '--', '/usr/bin/gather', '--x'
  ])
})

it('never lets a value become a flag of its own', () => {
  const { options } = validateRequest({ 'source-dir': '--image=evil', 'custom-name': '--keep', command: '--help' }, defaults)
  const args = buildOcArgs(options, '/d')
  const separator = args.indexOf('--')
  for (const arg of args.slice(2, separator)) assert.match(arg, /^--[a-z-]+=/)
  assert.ok(args.includes('--source-dir=--image=evil'))
  assert.deepEqual(args.slice(separator), ['--', '--help'])
})
