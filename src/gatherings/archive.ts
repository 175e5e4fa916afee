import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, opendir, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform, type TransformCallback, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { PRIVATE_FILE } from './file-modes.js'
import { findFilesNamed } from './fs-tools.js'

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
