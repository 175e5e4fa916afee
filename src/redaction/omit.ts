// Omit rules: File globs (Go's filepath.Match, on the path relative to the
// tree and on the base name, as must-gather-clean does) and Kubernetes
// kinds (read from YAML and JSON files without parsing them whole).
import { createReadStream, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'

import type { OmitRule } from './types.js'

type KubernetesOmit = Extract<OmitRule, { type: 'Kubernetes' }>

/** A Go filepath.Match pattern as a RegExp: `*` and `?` never match `/`; `[...]`/`[^...]` classes; `\` escapes. */
export function globToRegex (pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else if (c === '\\' && i + 1 < pattern.length) source += escapeChar(pattern[++i] as string)
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2)
      if (close === -1) throw new Error(`unterminated [ in glob ${pattern}`)
      let body = pattern.slice(i + 1, close)
      const negated = body.startsWith('^')
      if (negated) body = body.slice(1)
      source += `[${negated ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`
      i = close
    } else source += escapeChar(c)
  }
  return new RegExp(`^${source}$`)
}

function escapeChar (c: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(c) ? `\\${c}` : c
}

/** The File rule that omits `relativePath`, if any. */
export function matchFileRule (globs: Array<{ pattern: string, regex: RegExp }>, relativePath: string): string | undefined {
  const name = basename(relativePath)
  return globs.find(({ regex }) => regex.test(relativePath) || regex.test(name))?.pattern
}

export interface KubeObject { kind: string, apiVersion: string, namespace: string }

/** The Kubernetes rule that omits the objects in this file, if any (must-gather-clean: a v1 `…List` is judged by its items). */
export async function matchKubernetesRule (rules: KubernetesOmit[], path: string): Promise<KubernetesOmit | undefined> {
  if (rules.length === 0) return undefined
  const objects = await readKubeObjects(path)
  return rules.find((rule) => objects.some((o) =>
    o.kind === rule.kind &&
    (rule.apiVersion === undefined || rule.apiVersion === o.apiVersion) &&
    (rule.namespaces.length === 0 || rule.namespaces.includes(o.namespace))))
}

const JSON_PARSE_LIMIT = 32 * 1024 * 1024

/** The objects a .yaml/.yml/.json file holds (the items of a v1 List), or none when it is no Kubernetes resource. */
export async function readKubeObjects (path: string): Promise<KubeObject[]> {
  if (/\.ya?ml$/.test(path)) return topAndItems(await scanYaml(path))
  if (path.endsWith('.json') && statSync(path).size <= JSON_PARSE_LIMIT) {
    try {
      const doc = JSON.parse(await readFile(path, 'utf8')) as unknown
      return topAndItems([{ top: objectOf(doc), items: Array.isArray((doc as { items?: unknown }).items) ? (doc as { items: unknown[] }).items.map(objectOf) : [] }])
    } catch {
      return []
    }
  }
  return []
}

interface YamlDocument { top: KubeObject, items: KubeObject[] }

function topAndItems (documents: YamlDocument[]): KubeObject[] {
  return documents.flatMap(({ top, items }) => top.kind.endsWith('List') && top.apiVersion === 'v1' ? items : [top])
}

function objectOf (value: unknown): KubeObject {
  const o = (typeof value === 'object' && value !== null ? value : {}) as { kind?: unknown, apiVersion?: unknown, metadata?: { namespace?: unknown } }
  return { kind: String(o.kind ?? ''), apiVersion: String(o.apiVersion ?? ''), namespace: String(o.metadata?.namespace ?? '') }
}

/**
 * Reads kind, apiVersion and metadata.namespace of each document and of each
 * entry of its top-level `items:` list, line by line: what `oc` writes is
 * block-style YAML, keys at fixed indentation. A file of any size is read
 * as a stream.
 */
async function scanYaml (path: string): Promise<YamlDocument[]> {
  const documents: YamlDocument[] = []
  const fresh = (): KubeObject => ({ kind: '', apiVersion: '', namespace: '' })
  let doc: YamlDocument = { top: fresh(), items: [] }
  let section: 'top' | 'topMetadata' | 'items' | 'other' = 'top'
  let itemIndent = -1 // column of an item's keys
  let item: KubeObject | undefined
  let itemInMetadata = false
  const onLine = (line: string): void => {
    if (line.startsWith('---')) {
      documents.push(doc)
      doc = { top: fresh(), items: [] }
      section = 'top'
      return
    }
    const indent = line.length - line.trimStart().length
    const text = line.trimStart()
    if (text === '' || text.startsWith('#')) return
    if (indent === 0 && !text.startsWith('- ')) {
      const key = /^([A-Za-z]+):\s*(.*)$/.exec(text)
      section = key?.[1] === 'metadata' ? 'topMetadata' : key?.[1] === 'items' ? 'items' : 'other'
      if (key?.[1] === 'kind') doc.top.kind = unquote(key[2] ?? '')
      if (key?.[1] === 'apiVersion') doc.top.apiVersion = unquote(key[2] ?? '')
      return
    }
    if (section === 'topMetadata') {
      const ns = /^namespace:\s*(.*)$/.exec(text)
      if (ns !== null && indent === 2) doc.top.namespace = unquote(ns[1] ?? '')
      return
    }
    if (section !== 'items') return
    let keyText = text
    let keyIndent = indent
    if (text.startsWith('- ') && (itemIndent === -1 || indent + 2 === itemIndent)) {
      itemIndent = indent + 2
      item = fresh()
      doc.items.push(item)
      itemInMetadata = false
      keyText = text.slice(2).trimStart()
      keyIndent = itemIndent
    }
    if (item === undefined) return
    const key = /^([A-Za-z]+):\s*(.*)$/.exec(keyText)
    if (key === null) return
    if (keyIndent === itemIndent) {
      itemInMetadata = key[1] === 'metadata'
      if (key[1] === 'kind') item.kind = unquote(key[2] ?? '')
      if (key[1] === 'apiVersion') item.apiVersion = unquote(key[2] ?? '')
    } else if (itemInMetadata && keyIndent === itemIndent + 2 && key[1] === 'namespace') {
      item.namespace = unquote(key[2] ?? '')
    }
  }
  let carry = ''
  for await (const chunk of createReadStream(path, { encoding: 'latin1', highWaterMark: 1024 * 1024 })) {
    const lines = (carry + (chunk as string)).split('\n')
    carry = lines.pop() ?? ''
    if (carry.length > 1024 * 1024) carry = '' // a huge scalar line holds no key
    for (const line of lines) onLine(line)
  }
  onLine(carry)
  documents.push(doc)
  return documents
}

function unquote (value: string): string {
  const v = value.trim()
  return /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v
}
