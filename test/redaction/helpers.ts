// Shared by the redaction tests: temporary trees and reading a tree back,
// compressed files included.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'

import type { TestContext } from 'node:test'

export function tempTree (t: TestContext, prefix = 'mgs-redaction-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/** Every file under `dir` (relative path → bytes), `.gz` files inflated; symbolic links are not followed. */
export function readTree (dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>()
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const abs = join(entry.parentPath, entry.name)
    const rel = abs.slice(dir.length + 1)
    const bytes = readFileSync(abs)
    files.set(rel, bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes)
  }
  return files
}

/**
 * Finds where any of `values` still occurs as a value of its own: not glued
 * to letters, digits or further address characters (`::c` inside
 * `::client` is not an address; `10.0.0.1` before `/16` or `:6443` is).
 * Returns a scanner: text → [value, context] pairs.
 */
export function standaloneFinder (values: string[]): (text: string) => Array<[string, string]> {
  const escaped = [...values].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
  const regex = new RegExp(`(?<![0-9a-z_]|[0-9]\\.)(${escaped.join('|')})(?![0-9a-z_]|[.:][0-9a-f])`, 'gi')
  return (text) => [...text.matchAll(regex)].map((m) => [m[1] as string, text.slice(Math.max(0, m.index - 30), m.index + m[0].length + 30)])
}
