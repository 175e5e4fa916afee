import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { assertNoProcessesLeft, type RunningService, SIM_IMAGE, SIMULATOR, startService, waitForFinish } from '../helpers/service.js'
import { checkDatabase, report, writeExecutable } from './helpers.js'

/**
 * Reliability, scenario 3: the data directory (and the database next to it,
 * as on the service's volume) on a 64 MiB tmpfs. A gathering that fills the
 * disk and one whose packing does not fit both end `error` with a clear
 * message, the space is released, the service keeps answering (507 for new
 * executions while the disk is full), and the database stays sound.
 */
const SIZE_MIB = 64
const MIB = 1024 * 1024

/** The simulator, except for images tagged `random-N`: N MiB of incompressible data, so that packing needs N MiB more. */
const STAND_IN = `#!/bin/bash
for arg in "$@"; do
  case "$arg" in
    --dest-dir=*) dest="\${arg#--dest-dir=}";;
    --image=*:random-*) mib="\${arg##*:random-}";;
  esac
done
if [ -n "$mib" ]; then
  mkdir -p "$dest/stand-in" && head -c "\${mib}M" /dev/urandom > "$dest/stand-in/random.bin" || exit 1
  echo "[must-gather      ] OUT gathered \${mib} MiB"
  exit 0
fi
exec ${JSON.stringify(SIMULATOR)} "$@"
`

let mount: string | undefined
let skipReason: string | undefined
let service: RunningService | undefined
const figures: string[] = []

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mgs-disk-full-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MIB}m,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' })
    mount = dir
  } catch (error) {
    rmdirSync(dir)
    skipReason = `cannot mount a ${SIZE_MIB} MiB tmpfs for the data dir (needs root or CAP_SYS_ADMIN): ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`
    return
  }
  writeExecutable(join(mount, 'bin', 'oc'), STAND_IN)
  service = await startService({ dir: mount, env: { OC_PATH: join(mount, 'bin', 'oc'), MIN_FREE_SPACE: '1Mi', MAX_CONCURRENT: '1' } })
})

after(async () => {
  try {
    if (service !== undefined) {
      await service.stop()
      await assertNoProcessesLeft(service.dir)
    }
  } finally {
    if (mount !== undefined) {
      execFileSync('umount', [mount])
      rmdirSync(mount)
    }
  }
})

const freeBytes = (): number => {
  const fs = statfsSync(mount as string)
  return fs.bavail * fs.bsize
}

/** What is left of an execution on disk. */
const filesOf = (id: number): string[] => readdirSync(join((service as RunningService).dataDir, String(id))).sort()

describe('reliability: disk full', () => {
  it('a gathering that fills the disk ends error saying so; its files are removed and the space is back', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason)
    const s = service as RunningService
    const free = freeBytes()
    const { status, body } = await s.post({ image: `${SIM_IMAGE}:size-100m` })
    assert.equal(status, 201)
    const done = await waitForFinish(s, body.id, 60_000)
    assert.equal(done.status, 'error')
    assert.match(done['error-message'], /oc adm must-gather failed with exit status 1: error: .*no space left on device/)
    assert.match(done['error-message'], /packing the archive failed: .*no space left on device.*; the gathered files were removed to free their space/)
    assert.deepEqual(filesOf(body.id), ['output.log'])
    assert.equal((await s.json(`/must-gather/${body.id}/data`)).status, 404)
    const lost = free - freeBytes()
    assert.ok(lost < 2 * MIB, `${(lost / MIB).toFixed(1)} MiB still used after the failure`)
    figures.push(`gather of 100 MiB: error, ${(lost / MIB).toFixed(1)} MiB kept`)
  })

  it('a packing that does not fit (oc succeeded) ends error saying so; the gathered files are removed and the space is back', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason)
    const s = service as RunningService
    const free = freeBytes()
    const { body } = await s.post({ image: `${SIM_IMAGE}:random-36` })
    const done = await waitForFinish(s, body.id, 60_000)
    assert.equal(done.status, 'error')
    assert.match(done['error-message'], /^packing the archive failed: .*no space left on device.*; the gathered files were removed to free their space$/)
    assert.deepEqual(filesOf(body.id), ['output.log'])
    const lost = free - freeBytes()
    assert.ok(lost < 2 * MIB, `${(lost / MIB).toFixed(1)} MiB still used after the failure`)
    figures.push(`pack of 36 MiB: error, ${(lost / MIB).toFixed(1)} MiB kept`)
  })

  it('while the disk is full the service keeps answering, refuses new executions with 507, and runs them again once there is room', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason)
    const s = service as RunningService
    const filler = join(mount as string, 'filler')
    writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes() - MIB / 2)))
    try {
      const refused = await s.post({ image: `${SIM_IMAGE}:v1` })
      assert.equal(refused.status, 507)
      assert.match(refused.body.error, /not enough disk space for new executions/)
      assert.equal((await s.json('/healthz')).status, 200)
      const list = await s.json<any[]>('/must-gather')
      assert.equal(list.status, 200)
      assert.equal(list.body.length, 2, 'the refused request queued nothing')
    } finally {
      rmSync(filler)
    }
    const { status, body } = await s.post({ image: `${SIM_IMAGE}:v1` })
    assert.equal(status, 201)
    const done = await waitForFinish(s, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    figures.push('full disk: 507, reads 200; then completed')
  })

  it('the database on the full disk stays sound and every execution is final', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason)
    const s = service as RunningService
    assert.equal(await s.stop(), 0)
    const db = checkDatabase(s.dbPath)
    assert.equal(db.integrity, 'ok')
    assert.deepEqual([...db.ids.values()], ['error', 'error', 'completed'])
    report(t, 'disk full', `${SIZE_MIB} MiB tmpfs for data dir and database: ${figures.join('; ')}; integrity_check ok, 0 stuck`)
  })
})
