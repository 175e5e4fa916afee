import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { writeGatherTree } from '../../simulator/tree.mjs'

export const LONG_DIR = 'deeply/' + 'nested-directory-name-that-goes-on/'.repeat(4)
export const LONG_NAME = 'a-file-name-longer-than-one-hundred-characters-'.repeat(3) + '.log'

export function tempDir (prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir (dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** Runs a command; its stdout. */
export function sh (command: string, args: string[], options: { cwd?: string } = {}): string {
  return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' }, ...options })
}

/** What `tar -tzf` prints, one entry a line. */
export function tarList (archive: string): string[] {
  return sh('tar', ['-tzf', archive]).split('\n').filter((line) => line !== '')
}

/**
 * tar -tzf's line in the index's form: no leading ./, no trailing /, and the
 * name's own bytes where tar (in the C locale) printed octal escapes (\303\251 for é).
 */
export function indexForm (line: string): string {
  const raw = line.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))).replace(/\\\\/g, '\\')
  return Buffer.from(raw, 'latin1').toString('utf8').replace(/^(?:\.\/)+/, '').replace(/\/$/, '')
}

/**
 * A must-gather tree from the simulator's generator under `<parent>/<dirName>`,
 * with what generated trees lack: symlinks (one dangling), a hard link, names
 * over 100 characters, non-ASCII and spaced names, an empty file and
 * directory, a binary file, an HTML file, an executable, and (with `nested`)
 * the simulator's own must-gather.tar.gz, which images such as Forklift's write.
 */
export async function makeTree (parent: string, dirName: string, { sizeBytes = 4 * 1024 * 1024, files = 300, nested = false } = {}): Promise<string> {
  const root = join(parent, dirName)
  const imageDir = join(root, 'quay-io-must-gather-service-simulator-sha256-test')
  const stats = { bytes: 0, files: 0 }
  const writing = writeGatherTree(imageDir, { sizeBytes, files, seed: 'archive-test', timestampText: '2026-12-06 01:00:00 +0000 UTC\n', archive: nested }, stats)
  while (!(await writing.next()).done);
  mkdirSync(join(root, 'links'))
  symlinkSync('../quay-io-must-gather-service-simulator-sha256-test/version', join(root, 'links', 'version'))
  symlinkSync('/etc/passwd', join(root, 'links', 'outside'))
  symlinkSync('nowhere', join(root, 'links', 'dangling'))
  linkSync(join(imageDir, 'timestamp'), join(root, 'links', 'timestamp-hardlink'))
  mkdirSync(join(root, LONG_DIR), { recursive: true })
  writeFileSync(join(root, LONG_DIR, LONG_NAME), 'a long name\n'.repeat(50))
  mkdirSync(join(root, 'données été'))
  writeFileSync(join(root, 'données été', 'naïve café.txt'), 'non-ASCII names\n')
  writeFileSync(join(root, 'empty-file'), '')
  mkdirSync(join(root, 'empty-dir'))
  writeFileSync(join(root, 'random.bin'), Buffer.concat([Buffer.from([0, 1, 2, 0]), randomBytes(700_000)]))
  writeFileSync(join(root, 'event-filter.html'), '<!DOCTYPE html><html><script>alert(1)</script></html>\n')
  writeFileSync(join(root, 'gather.sh'), '#!/bin/sh\necho gathered\n')
  chmodSync(join(root, 'gather.sh'), 0o755)
  return root
}

/** Every regular file under `root`, relative to `base`, with its parent directory prefix. */
export function regularFiles (base: string, dir = ''): string[] {
  return readdirSync(join(base, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`
    if (entry.isDirectory()) return regularFiles(base, rel)
    return entry.isFile() ? [rel] : []
  })
}
