import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { assertNoProcessesLeft, processesMentioning, type RunningService, startService, stopAndClean, waitForFinish } from '../helpers/service.js'
import { openFds, report, rssBytes, writeExecutable } from './helpers.js'

/**
 * Reliability, scenario 4: an `oc` that misbehaves in every way the issue
 * lists. A stand-in script (OC_PATH) picks its misbehaviour from the image
 * tag, like the simulator; each run must end `error` with a clear message,
 * leave no process behind (grandchildren included: oc runs in its own
 * process group) and leave the service as it was.
 */
const MIB = 1024 * 1024
const INVALID_STDOUT = Buffer.from([0x6f, 0x75, 0x74, 0x3a, 0x20, 0xff, 0xfe, 0xc3, 0x28, 0x20, 0xe2, 0x82, 0x0a, 0xf0, 0x9f, 0x98, 0x0a])

const standIn = (dir: string): string => `#!/bin/bash
# Answers readiness; otherwise misbehaves as the image tag says.
[ "$1" = version ] && { echo "Client Version: 4.17.0"; exit 0; }
for arg in "$@"; do case "$arg" in --image=*) mode="\${arg##*:}";; esac; done
case "$mode" in
  exit-now)
    echo "error: the server has asked for the client to provide credentials" >&2
    exit 3 ;;
  no-newlines)
    # 8 MiB on stdout and 2 MiB on stderr, not one newline.
    head -c ${8 * MIB} /dev/zero | tr '\\0' 'x'
    head -c ${2 * MIB} /dev/zero | tr '\\0' 'y' >&2
    exit 1 ;;
  invalid-utf8)
    printf '${[...INVALID_STDOUT].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}'
    printf 'error: bad byte \\xff\\xc0 in the reply\\n' >&2
    exit 2 ;;
  ignore-sigterm)
    trap '' TERM
    echo "[must-gather      ] OUT ignoring SIGTERM"
    while true; do sleep 0.2; done ;;
  fork-exit)
    # Children that outlive oc, some ignoring SIGTERM, one re-parented to init: all still in oc's process group.
    ${JSON.stringify(join(dir, 'bin', 'grandchild'))} &
    ${JSON.stringify(join(dir, 'bin', 'grandchild'))} &
    ( ${JSON.stringify(join(dir, 'bin', 'grandchild'))} & )
    # Exit only once all three are running.
    for i in $(seq 100); do [ "$(wc -l < ${JSON.stringify(join(dir, 'grandchildren.pids'))} 2>/dev/null)" = 3 ] && break; sleep 0.05; done
    echo "error: lost the connection to the cluster" >&2
    date +%s%3N > ${JSON.stringify(join(dir, 'oc-exited-at'))}
    exit 1 ;;
  never-exits)
    echo "[must-gather      ] OUT waiting forever"
    while true; do sleep 0.2; done ;;
  crash-signal)
    kill -SEGV $$ ;;
esac
echo "error: unknown mode $mode" >&2
exit 99
`

/** Records its pid (to prove it ran), ignores SIGTERM, lives forever. */
const grandchild = (dir: string): string => `#!/bin/bash
echo $$ >> ${JSON.stringify(join(dir, 'grandchildren.pids'))}
trap '' TERM
while true; do sleep 0.2; done
`

let service: RunningService
let oc: string
let baselineFds: number
const results: string[] = []
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mgs-test-'))
  oc = join(dir, 'bin', 'oc')
  writeExecutable(oc, standIn(dir))
  writeExecutable(join(dir, 'bin', 'grandchild'), grandchild(dir))
  service = await startService({ dir, env: { OC_PATH: oc, MAX_CONCURRENT: '8', TIMEOUT_GRACE: '1s', CANCEL_GRACE: '1s' } })
  assert.equal((await service.json('/readyz')).status, 200)
  baselineFds = openFds(service.process.pid as number)
})
after(async () => stopAndClean(service))

/** Whether a process exists and is not a zombie. */
function isAlive (pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'
  } catch {
    return false
  }
}

/** Runs one misbehaviour to its end; checks that nothing of it is left running. */
async function run (mode: string, extra: Record<string, unknown> = {}): Promise<any> {
  const started = Date.now()
  const { status, body } = await service.post({ image: `quay.io/stand-in/oc:${mode}`, ...extra })
  assert.equal(status, 201, JSON.stringify(body))
  const done = await waitForFinish(service, body.id, 30_000)
  assert.equal(done.status, 'error', `${mode}: ${done['error-message']}`)
  assert.deepEqual(processesMentioning(join(service.dataDir, String(body.id))), [], `${mode}: processes left`)
  results.push(`${mode} ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return done
}

describe('reliability: oc misbehaves', () => {
  it('exits non-zero at once: its exit status and error line', async () => {
    const done = await run('exit-now')
    assert.equal(done['error-message'], 'oc adm must-gather failed with exit status 3: error: the server has asked for the client to provide credentials')
  })

  it('prints megabytes without a newline: kept whole in /output, bounded in memory, exec-output and message', async () => {
    const rss = rssBytes(service.process.pid as number)
    const done = await run('no-newlines')
    assert.match(done['error-message'], /^oc adm must-gather failed with exit status 1: y+$/)
    assert.ok(done['error-message'].length <= 4200, `message of ${done['error-message'].length} characters`)
    assert.equal(done.progress['output-bytes'], 10 * MIB)
    assert.ok(Buffer.byteLength(done['exec-output']) <= 65536)
    const output = Buffer.from(await (await service.fetch(`/must-gather/${done.id}/output`)).arrayBuffer())
    assert.equal(output.length, 10 * MIB)
    const grown = rssBytes(service.process.pid as number) - rss
    assert.ok(grown < 64 * MIB, `the service grew by ${(grown / MIB).toFixed(0)} MiB`)
  })

  it('prints invalid UTF-8: /output has the bytes as printed, JSON has U+FFFD', async () => {
    const done = await run('invalid-utf8')
    assert.equal(done['error-message'], 'oc adm must-gather failed with exit status 2: error: bad byte \ufffd\ufffd in the reply')
    assert.ok(done['exec-output'].includes('\ufffd'))
    const output = Buffer.from(await (await service.fetch(`/must-gather/${done.id}/output`)).arrayBuffer())
    assert.ok(output.subarray(0, INVALID_STDOUT.length).equals(INVALID_STDOUT) || output.includes(INVALID_STDOUT), 'stdout bytes kept as printed')
    const sse = await (await service.fetch(`/must-gather/${done.id}/output?follow=true`, { headers: { Accept: 'text/event-stream' } })).text()
    assert.match(sse, /event: end/)
  })

  it('ignores SIGTERM and never ends: killed (SIGKILL) after its timeout + TIMEOUT_GRACE + CANCEL_GRACE', async () => {
    const done = await run('ignore-sigterm', { timeout: '1s' })
    assert.equal(done['error-message'], 'oc adm must-gather did not finish within its timeout (1s) plus TIMEOUT_GRACE (1s) and was killed')
  })

  it('forks children and exits: the grandchildren (ignoring SIGTERM, re-parented) are killed with its process group', async () => {
    const done = await run('fork-exit')
    assert.equal(done['error-message'], 'oc adm must-gather failed with exit status 1: error: lost the connection to the cluster')
    const pids = readFileSync(join(service.dir, 'grandchildren.pids'), 'utf8').trim().split('\n').map(Number)
    assert.equal(pids.length, 3, 'three grandchildren ran')
    for (const pid of pids) assert.equal(isAlive(pid), false, `grandchild ${pid} is gone`)
    // Pipes held open by a grandchild would keep the run going for PIPE_LINGER_MS (5 s) after oc exits.
    const ocExitedAt = Number(readFileSync(join(service.dir, 'oc-exited-at'), 'utf8'))
    const elapsed = Date.parse(done['finished-at']) - ocExitedAt
    assert.ok(elapsed < 4000, `ended ${elapsed} ms after oc exited: the grandchildren's pipes did not hold it up`)
  })

  it('never exits: stopped (SIGTERM) after its timeout + TIMEOUT_GRACE', async () => {
    const done = await run('never-exits', { timeout: '1s' })
    assert.equal(done['error-message'], 'oc adm must-gather did not finish within its timeout (1s) plus TIMEOUT_GRACE (1s) and was killed')
  })

  it('dies of a signal: named in the message', async () => {
    const done = await run('crash-signal')
    assert.equal(done['error-message'], 'oc adm must-gather was killed by signal SIGSEGV')
  })

  it('is not executable: the message names OC_PATH', async () => {
    chmodSync(oc, 0o644)
    try {
      const done = await run('not-executable')
      assert.match(done['error-message'], new RegExp(`^cannot run oc: OC_PATH "${oc}" is not executable \\(spawn ${oc} EACCES\\)$`))
    } finally {
      chmodSync(oc, 0o755)
    }
  })

  it('is missing: the message names OC_PATH', async () => {
    const text = readFileSync(oc, 'utf8')
    rmSync(oc)
    try {
      const done = await run('missing')
      assert.match(done['error-message'], new RegExp(`^cannot run oc: OC_PATH "${oc}" was not found \\(spawn ${oc} ENOENT\\)$`))
    } finally {
      writeExecutable(oc, text)
    }
  })

  it('after all of it the service holds no extra process or descriptor', async (t) => {
    await assertNoProcessesLeft(service.dataDir)
    const fds = openFds(service.process.pid as number)
    assert.ok(fds <= baselineFds + 2, `${fds} open descriptors, ${baselineFds} before`)
    assert.equal((await service.json('/readyz')).status, 200)
    report(t, 'oc misbehaves', `${results.length} misbehaviours, each error with a clear message, 0 processes left, ${fds} descriptors open after (${baselineFds} before): ${results.join('; ')}`)
  })
})
