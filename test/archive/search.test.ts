import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { SearchPatternError } from '../../src/archive/errors.js'
import { packDirectory } from '../../src/archive/pack.js'
import { ArchiveReader } from '../../src/archive/reader.js'
import { search, type SearchEnd, type SearchMatch } from '../../src/archive/search.js'
import { makeTree, removeDir, sh, tempDir } from './helpers.js'

async function collect (results: AsyncGenerator<SearchMatch | SearchEnd>): Promise<{ matches: SearchMatch[], end: SearchEnd }> {
  const matches: SearchMatch[] = []
  let end: SearchEnd | undefined
  for await (const result of results) {
    assert.equal(end, undefined, 'nothing after the end')
    if ('complete' in result) end = result
    else matches.push(result)
  }
  assert.ok(end !== undefined, 'the last result says how the search ended')
  return { matches, end }
}

/** What grep finds in the tree on disk, in the same form. */
function grep (cwd: string, args: string[]): string[] {
  let out = ''
  try {
    out = sh('grep', ['-rn', '--binary-files=without-match', ...args], { cwd })
  } catch (error) {
    if ((error as { status?: number }).status !== 1) throw error
  }
  return out.split('\n').filter(Boolean).sort()
}

const asGrep = (matches: SearchMatch[]): string[] => matches.map((m) => `${m.file}:${m.line}:${m.text}`).sort()

describe('search', () => {
  let dir: string
  let reader: ArchiveReader
  const top = 'must-gather.local.5'

  before(async () => {
    dir = tempDir('mgs-archive-search-')
    await makeTree(dir, top, { sizeBytes: 3 * 1024 * 1024, files: 250 })
    await packDirectory({ parent: dir, dirName: top, target: join(dir, 'a.tar.gz'), signal: new AbortController().signal, blockSize: 64 * 1024 })
    reader = await ArchiveReader.open(join(dir, 'a.tar.gz'))
  })
  after(async () => {
    await reader?.close()
    removeDir(dir)
  })

  it('finds a literal text in every text file, with 1-based line numbers, as grep does', async () => {
    const { matches, end } = await collect(search(reader, { query: 'Degraded', maxResults: 100_000 }))
    const expected = grep(dir, ['-F', 'Degraded', top])
    assert.ok(expected.length > 5)
    assert.deepEqual(asGrep(matches), expected)
    assert.equal(end.complete, true)
    assert.equal(end.reason, 'complete')
    assert.equal(end.matches, matches.length)
    assert.equal(end.binaryFilesSkipped, 1) // random.bin
  })

  it('gives each match\'s byte offset in its file, as grep -b does', async () => {
    const { matches } = await collect(search(reader, { query: 'Degraded', maxResults: 100_000 }))
    assert.deepEqual(matches.map((m) => `${m.file}:${m.line}:${m.offset}:${m.text}`).sort(), grep(dir, ['-bF', 'Degraded', top]))
  })

  it('counts offsets across the archive\'s blocks in a big file', async () => {
    const big = tempDir('mgs-archive-search-big-')
    try {
      mkdirSync(join(big, 'mg'))
      // 400 kB of lines of varying length, CRLF in places: many 64 KiB blocks.
      const lines = Array.from({ length: 8000 }, (_, i) => `${i % 7 === 0 ? 'needle ' : ''}line ${i} ${'x'.repeat(i % 61)}${i % 5 === 0 ? '\r' : ''}`)
      writeFileSync(join(big, 'mg', 'big.log'), lines.join('\n') + '\n')
      await packDirectory({ parent: big, dirName: 'mg', target: join(big, 'b.tar.gz'), signal: new AbortController().signal, blockSize: 64 * 1024 })
      const bigReader = await ArchiveReader.open(join(big, 'b.tar.gz'))
      try {
        const { matches } = await collect(search(bigReader, { query: 'needle', maxResults: 100_000 }))
        assert.ok(matches.some((m) => m.offset > 256 * 1024), 'matches lie several blocks in')
        const expected = grep(big, ['-bF', 'needle', 'mg']).map((l) => l.replace(/\r$/, ''))
        assert.deepEqual(matches.map((m) => `${m.file}:${m.line}:${m.offset}:${m.text}`).sort(), expected)
      } finally {
        await bigReader.close()
      }
    } finally {
      removeDir(big)
    }
  })

  it('matches a regular expression, case-insensitively, in the files a glob selects', async () => {
    const { matches, end } = await collect(search(reader, { query: 'reason: .deployment(updated|failed)', regex: true, ignoreCase: true, glob: '**/*.log', maxResults: 100_000 }))
    const expected = grep(dir, ['-iE', '--include=*.log', 'reason: .deployment(updated|failed)', top])
    assert.ok(expected.length > 0)
    assert.deepEqual(asGrep(matches), expected)
    assert.ok(matches.every((m) => m.file.endsWith('.log')))
    assert.equal(end.complete, true)
    const yamlOnly = await collect(search(reader, { query: 'kind', glob: 'pods.yaml', maxResults: 100_000 }))
    assert.ok(yamlOnly.matches.length > 0)
    assert.ok(yamlOnly.matches.every((m) => m.file.endsWith('/core/pods.yaml')))
  })

  it('stops at the result limit and says it was cut short', async () => {
    const { matches, end } = await collect(search(reader, { query: 'e', maxResults: 25 }))
    assert.equal(matches.length, 25)
    assert.deepEqual([end.complete, end.reason, end.matches], [false, 'max-results', 25])
    assert.match(end.message, /25 matches/)
  })

  it('stops when its time budget is spent, and when its signal fires', async () => {
    const spent = await collect(search(reader, { query: 'Degraded', timeBudgetMs: 0 }))
    assert.deepEqual([spent.end.complete, spent.end.reason, spent.matches.length], [false, 'time-budget', 0])
    const controller = new AbortController()
    const results = search(reader, { query: 'e', maxResults: 1_000_000, signal: controller.signal })
    const first = await results.next()
    assert.ok(first.value !== undefined && 'file' in first.value)
    controller.abort()
    const { end } = await collect(results)
    assert.deepEqual([end.complete, end.reason], [false, 'aborted'])
  })

  it('cuts long lines to the length it matches and returns', async () => {
    const { matches } = await collect(search(reader, { query: 'I1125', maxResults: 3, maxLineLength: 40 }))
    assert.equal(matches.length, 3)
    assert.ok(matches.every((m) => m.text.length <= 40 && m.text.includes('I1125')))
  })

  it('refuses empty text, invalid expressions and ones with nested quantifiers before reading anything', () => {
    assert.throws(() => search(reader, { query: '' }), SearchPatternError)
    assert.throws(() => search(reader, { query: '(unclosed', regex: true }), SearchPatternError)
    assert.throws(() => search(reader, { query: '(a+)+$', regex: true }), SearchPatternError)
    assert.throws(() => search(reader, { query: '(x|xx)*y{1,5}(z+)*', regex: true }), SearchPatternError)
    // The same characters as literal text are fine.
    assert.doesNotThrow(() => search(reader, { query: '(a+)+$' }))
  })

  it('refuses a glob it cannot parse (field path) instead of searching no file, and accepts it escaped', async () => {
    for (const glob of ['[', '*.{log', '[z-a]', '!(']) {
      assert.throws(() => search(reader, { query: 'kind', glob }), (error: unknown) => error instanceof SearchPatternError && error.field === 'path' && error.message.includes(glob), glob)
    }
    // A glob that parses but names no file is no error: the search is complete, with no file searched.
    const none = await collect(search(reader, { query: 'kind', glob: '*.nonexistent' }))
    assert.deepEqual([none.matches.length, none.end.complete, none.end.filesSearched], [0, true, 0])
    assert.doesNotThrow(() => search(reader, { query: 'kind', glob: '\\[*' }))
  })
})
