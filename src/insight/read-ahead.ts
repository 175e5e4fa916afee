import type { TreeEntry, TreeReader } from './tree-source.js'

export interface ReadAheadOptions {
  /** Reads in flight at most. */
  window: number
  /** Bytes in flight at most (a file larger than this is still read, alone). */
  maxBytes: number
  /** Files larger than this are not read at all. */
  maxFileBytes: number
}

export type ReadOutcome = Buffer | Error | 'too-large'

/**
 * Reads the files of `items` in order, a few ahead of the consumer: a read is
 * mostly waiting (for the disk, or the archive's blocks), so the next files
 * arrive while the current one is parsed. Memory stays bounded by the window.
 * A read that fails gives its Error; nothing is thrown.
 */
export async function * readAhead<T extends { entry: TreeEntry }> (source: TreeReader, items: T[], options: ReadAheadOptions): AsyncGenerator<{ item: T, content: ReadOutcome }> {
  const pending = new Map<number, Promise<ReadOutcome>>()
  const cost = (i: number) => {
    const size = items[i]?.entry.size ?? 0
    return size > options.maxFileBytes ? 0 : size
  }
  let next = 0
  let inFlight = 0
  const start = (i: number): Promise<ReadOutcome> => {
    const entry = (items[i] as T).entry
    if (entry.size > options.maxFileBytes) return Promise.resolve('too-large')
    inFlight += cost(i)
    return source.read(entry.path).then((b) => b, (e: unknown) => e instanceof Error ? e : new Error(String(e)))
  }
  for (let i = 0; i < items.length; i++) {
    while (next < items.length && next - i < options.window && (next === i || inFlight + cost(next) <= options.maxBytes)) {
      pending.set(next, start(next))
      next++
    }
    const content = await (pending.get(i) as Promise<ReadOutcome>)
    pending.delete(i)
    inFlight -= cost(i)
    yield { item: items[i] as T, content }
  }
}
