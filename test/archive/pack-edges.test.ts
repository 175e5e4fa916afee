import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'

import { packDirectory } from '../../src/archive/pack.js'
import { ArchiveReader } from '../../src/archive/reader.js'
import { removeDir, sh, tarList, tempDir } from './helpers.js'

const run = promisify(execFile)

describe('blocked packer, edges', () => {
  let dir: string
  before(() => {
    dir = tempDir('mgs-archive-pack-edges-')
    mkdirSync(join(dir, 'tiny'))
    writeFileSync(join(dir, 'tiny', 'only.txt'), 'the one file\n')
  })
  after(() => removeDir(dir))

  it('keeps all of a tar that ends before the archive file is even open', async () => {
    // tar of one small file exits at once; its output is read from the start, whatever came first.
    const packed = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      packDirectory({ parent: dir, dirName: 'tiny', target: join(dir, `tiny-${i}.tar.gz`), signal: new AbortController().signal })))
    for (let i = 0; i < packed.length; i++) {
      const archive = join(dir, `tiny-${i}.tar.gz`)
      assert.deepEqual(tarList(archive), ['tiny/', 'tiny/only.txt'])
      assert.equal(packed[i]?.entries, 2)
      const reader = await ArchiveReader.open(archive)
      try {
        assert.equal((await reader.read('tiny/only.txt')).toString(), 'the one file\n')
      } finally {
        await reader.close()
      }
    }
  })

  it('compresses on its threads in a process started with node --input-type=module -e', async () => {
    // The compressing threads' code must not depend on how the parent was started (CommonJS or ESM).
    const target = join(dir, 'from-eval.tar.gz')
    const script = `const { packDirectory } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'archive', 'pack.ts')).href)})
const packed = await packDirectory({ parent: ${JSON.stringify(dir)}, dirName: 'tiny', target: ${JSON.stringify(target)}, signal: new AbortController().signal })
console.log(packed.entries)`
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, LC_ALL: 'C' } })
    assert.equal(stdout.trim(), '2')
    sh('gzip', ['-t', target])
    assert.match(gunzipSync(readFileSync(target)).toString('latin1'), /the one file\n/)
  })
})
