import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { accessSync, constants, createReadStream, createWriteStream } from 'node:fs'
import { chmod, opendir, rename, rm } from 'node:fs/promises'

import { PRIVATE_FILE } from './file-modes.js'
import { delimiter, join } from 'node:path'
import { pipeline } from 'node:stream/promises'

import { findFilesNamed } from './fs-tools.js'
import { Transform, type TransformCallback, Writable } from 'node:stream'

export interface ArchiveFile {
  size: number
  sha256: string
}

/**
 * Breadth-first search of `dir` for a regular file called `name` (the archive
 * some must-gather images write themselves); the shallowest wins. Symbolic
 * links are not followed, so nothing outside the destination can be picked.
 */
export async function findFile (dir: string, name: string): Promise<string | undefined> {
  const found = await findFilesNamed(dir, name, async () => {
    let first: string | undefined
    await walk(dir, (path, entryName) => {
      if (entryName === name) first = path
      return first !== undefined
    })
    return first === undefined ? [] : [first]
  })
  return found[0]
}

/** Whether `dir` holds at least one regular file anywhere inside. */
export async function hasAnyFile (dir: string): Promise<boolean> {
  return walk(dir, () => true)
}

/** Visits regular files breadth-first until `visit` returns true; returns whether it did. */
async function walk (root: string, visit: (path: string, name: string) => boolean): Promise<boolean> {
  const pending = [root]
  while (pending.length > 0) {
    const dir = pending.shift() as string
    let handle
    try {
      handle = await opendir(dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw error
    }
    for await (const entry of handle) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) pending.push(path)
      else if (entry.isFile() && visit(path, entry.name)) return true
    }
  }
  return false
}

/** Size and sha256 of a file already on disk. */
export async function hashFile (path: string): Promise<ArchiveFile> {
  const digest = new HashingPassThrough()
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), digest, new Writable({ write: (_chunk, _encoding, callback) => callback() }))
  return digest.result()
}

/** Moves an archive the image wrote into place, hashing it first. */
export async function adoptArchive (source: string, target: string): Promise<ArchiveFile> {
  const file = await hashFile(source)
  await rename(source, target)
  // Written by oc with its own mode: readable by the service's user only, like every archive.
  await chmod(target, PRIVATE_FILE)
  return file
}

export interface PackOptions {
  /** Directory holding `dirName`; becomes tar's -C. */
  parent: string
  /** Top-level folder inside the archive. */
  dirName: string
  /** Final archive path; written as `<target>.partial` and renamed when complete. */
  target: string
  signal: AbortSignal
}

/**
 * Packs a directory into a standard .tar.gz with the system `tar` (and `pigz`,
 * when installed, to compress on every core) in a child process, so the event
 * loop only moves bytes. The sha256 and size are computed while writing.
 */
export async function packDirectory ({ parent, dirName, target, signal }: PackOptions): Promise<ArchiveFile> {
  const partial = `${target}.partial`
  const compressor = findPigz() !== undefined ? ['--use-compress-program=pigz'] : ['--gzip']
  const tarArgs = ['-C', parent, ...compressor, '-cf', '-', '--', dirName]
  // At a lower priority, tar and the compressor it starts leave the event loop
  // its CPU when it needs it: API answers stay quick while a pack takes every core.
  const nice = findProgram('nice')
  const tar = spawn(nice ?? 'tar', nice !== undefined ? ['-n', '10', 'tar', ...tarArgs] : tarArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    signal,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }
  })
  let stderr = ''
  tar.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000) })
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.once('error', reject)
    tar.once('close', (code) => resolve(code))
  })
  // Awaited below; until then a spawn failure (no tar, EAGAIN) must not count as unhandled.
  exited.catch(() => {})
  const digest = new HashingPassThrough()
  try {
    await pipeline(tar.stdout, digest, createWriteStream(partial, { highWaterMark: 1024 * 1024, mode: PRIVATE_FILE }), { signal })
    const code = await exited
    // GNU tar exits 1 when a file changed while it was read: the archive is still whole.
    if (code !== 0 && code !== 1) throw new Error(`tar exited with status ${code}: ${stderr.trim() || 'no message'}`)
    await rename(partial, target)
    return digest.result()
  } catch (error) {
    tar.kill('SIGKILL')
    await exited.catch(() => {})
    await rm(partial, { force: true })
    throw error
  }
}

/** `pigz` on PATH, looked up once. */
export function findPigz (): string | undefined {
  return findProgram('pigz')
}

const programs = new Map<string, string | undefined>()
/** A program's path on PATH, looked up once. */
function findProgram (name: string): string | undefined {
  if (!programs.has(name)) {
    programs.set(name, undefined)
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      try {
        accessSync(join(dir, name), constants.X_OK)
        programs.set(name, join(dir, name))
        break
      } catch {}
    }
  }
  return programs.get(name)
}

class HashingPassThrough extends Transform {
  readonly #hash = createHash('sha256')
  #size = 0

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk)
    this.#size += chunk.length
    callback(null, chunk)
  }

  result (): ArchiveFile {
    return { size: this.#size, sha256: this.#hash.digest('hex') }
  }
}
