import { spawn } from 'node:child_process'
import { PassThrough, type Readable } from 'node:stream'

/**
 * The inflated bytes of a gzip file from `gzip -dc` in a child process at a
 * lower priority, as the packer's tar: re-packing then inflates and deflates
 * on separate cores at the same niceness (inflating in-process, at the event
 * loop's priority, starved the niced compressing threads: 2.5× slower).
 * `done` rejects when gzip reports a corrupt or truncated file.
 */
export function inflateFile (path: string, signal?: AbortSignal): { stream: Readable, done: Promise<void> } {
  const child = spawn('nice', ['-n', '10', 'gzip', '-dc', '--', path], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(signal !== undefined && { signal }),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000) })
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      // 2: a warning only ("trailing garbage ignored"): the data is whole.
      if (code === 0 || code === 2) resolve()
      else reject(new Error(`gzip -dc ${path} failed (${code ?? 'signal'}): ${stderr.trim() || 'no message'}`))
    })
  })
  done.catch(() => {})
  return { stream: claimed(child.stdout), done }
}

/**
 * A child's output, read from now on. Node resumes (drops) a child's stdout that
 * nothing reads yet when the child exits (child_process flushStdio): a short
 * gzip or tar that ends while its reader is still opening its output file
 * would seem to have printed nothing. Piping at once keeps every byte, with
 * backpressure as before.
 */
export function claimed (stdout: Readable): Readable {
  return stdout.pipe(new PassThrough({ highWaterMark: 1024 * 1024 }))
}
