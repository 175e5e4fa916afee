// DirectoryTreeSource: the same paths `tar -tzf` prints for `tar -C parent -czf x.tar.gz <dir>`,
// symlinks listed and never followed, and only paths inside the tree readable.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { promisify } from 'node:util'

import { DirectoryTreeSource, type TreeEntry, TreePathError } from '../../src/insight/index.js'
import { withTempDir, writeTree } from './helpers.js'

const run = promisify(execFile)

async function list (source: DirectoryTreeSource): Promise<TreeEntry[]> {
  const out: TreeEntry[] = []
  for await (const entry of source.entries()) out.push(entry)
  return out
}

describe('DirectoryTreeSource', () => {
  test('lists what tar -tzf lists for the archive of the directory, with types and sizes', async () => {
    await withTempDir(async (dir) => {
      await writeTree(dir, {
        'must-gather.local.42/timestamp': 'start\nend\n',
        'must-gather.local.42/img/namespaces/a b/core/pods.yaml': 'x'.repeat(1234),
        'must-gather.local.42/img/ünïcode.log': 'ü\n'
      })
      await mkdir(join(dir, 'must-gather.local.42/img/empty'))
      await symlink('../timestamp', join(dir, 'must-gather.local.42/img/link'))
      await run('tar', ['-C', dir, '-czf', join(dir, 'x.tar.gz'), 'must-gather.local.42'])
      const { stdout } = await run('tar', ['-tzf', join(dir, 'x.tar.gz')])
      const entries = await list(new DirectoryTreeSource(join(dir, 'must-gather.local.42')))
      assert.deepEqual(entries.map((e) => e.path).sort(), stdout.split('\n').filter(Boolean).sort())
      const byPath = Object.fromEntries(entries.map((e) => [e.path, e]))
      assert.equal(entries[0]?.path, 'must-gather.local.42/')
      assert.deepEqual(byPath['must-gather.local.42/img/namespaces/a b/core/pods.yaml'], { path: 'must-gather.local.42/img/namespaces/a b/core/pods.yaml', type: 'file', size: 1234 })
      assert.equal(byPath['must-gather.local.42/img/empty/']?.type, 'directory')
      assert.equal(byPath['must-gather.local.42/img/link']?.type, 'symlink')
      // a directory comes before what it holds, as in an archive
      const at = (p: string) => entries.findIndex((e) => e.path === p)
      assert.ok(at('must-gather.local.42/img/') < at('must-gather.local.42/img/namespaces/a b/core/pods.yaml'))
    })
  })

  test('the prefix can be chosen, or left out', async () => {
    await withTempDir(async (dir) => {
      await writeTree(dir, { 'd/f.txt': 'hello' })
      assert.deepEqual((await list(new DirectoryTreeSource(join(dir, 'd'), { prefix: 'renamed' }))).map((e) => e.path), ['renamed/', 'renamed/f.txt'])
      assert.deepEqual((await list(new DirectoryTreeSource(join(dir, 'd'), { prefix: '' }))).map((e) => e.path), ['f.txt'])
      assert.equal((await new DirectoryTreeSource(join(dir, 'd'), { prefix: 'renamed' }).read('renamed/f.txt')).toString(), 'hello')
      assert.equal((await new DirectoryTreeSource(join(dir, 'd'), { prefix: '' }).read('f.txt')).toString(), 'hello')
    })
  })

  test('reads files by their listed path; refuses symlinks, paths through symlinks, and directories', async () => {
    await withTempDir(async (dir) => {
      await writeTree(dir, { 'top/real/f.yaml': 'inside', 'secret.txt': 'outside' })
      await symlink(join(dir, 'secret.txt'), join(dir, 'top/link.txt'))
      await symlink(dir, join(dir, 'top/up'))
      const source = new DirectoryTreeSource(join(dir, 'top'))
      assert.equal((await source.read('top/real/f.yaml')).toString(), 'inside')
      await assert.rejects(source.read('top/link.txt'), TreePathError)
      await assert.rejects(source.read('top/up/secret.txt'), TreePathError)
      await assert.rejects(source.read('top/real'), TreePathError)
      await assert.rejects(source.read('top/real/'), TreePathError)
      await assert.rejects(source.read('top/missing.yaml'), { code: 'ENOENT' })
    })
  })

  test('refuses .., absolute paths, NUL, empty components and paths outside the prefix', async () => {
    await withTempDir(async (dir) => {
      await writeTree(dir, { 'top/f': 'x', 'other/g': 'y' })
      const source = new DirectoryTreeSource(join(dir, 'top'))
      for (const bad of ['top/../other/g', '../other/g', '/etc/passwd', 'top/f\0', 'top//f', 'top/./f', '', 'other/g', 'topx/f']) {
        await assert.rejects(source.read(bad), TreePathError, JSON.stringify(bad))
      }
    })
  })
})
