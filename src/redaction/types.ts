// Terminology: a *plan* is the checked configuration (rules in order); a
// *rule* is one obfuscate or omit entry; the *mapping* is one run's table
// from a canonical original (an address, a domain, a matched text) to its
// replacement; the *report* is what a run replaced and omitted, which unlocks
// the originals and so is kept on the server, never in the archive.

export type RuleTarget = 'FilePath' | 'FileContents' | 'All'
export type ReplacementType = 'Consistent' | 'Static'

interface RuleBase { target: RuleTarget, replacementType: ReplacementType }

export type ObfuscateRule =
  | RuleBase & { type: 'IP' | 'MAC' }
  /** clusterDomains: add the domains read from the gathered DNS and Infrastructure objects. */
  | RuleBase & { type: 'Domain', domainNames: string[], clusterDomains: boolean }
  | RuleBase & { type: 'Keywords', replacement: Record<string, string> }
  | RuleBase & { type: 'Exact', exactReplacements: Array<{ original: string, replacement: string }> }
  /** regex: JavaScript source converted from the Go syntax at load time. */
  | RuleBase & { type: 'Regex', regex: string, flags: string }

export type OmitRule =
  | { type: 'File', pattern: string }
  | { type: 'Kubernetes', kind: string, apiVersion: string | undefined, namespaces: string[] }
  | { type: 'SymbolicLink' }

/** A checked configuration; plain data, so that it can be posted to worker threads. */
export interface RedactionPlan {
  /** Where the rules came from (the file name, or "default rules"), for the report. */
  source: string
  obfuscate: ObfuscateRule[]
  omit: OmitRule[]
}

export interface RedactOptions {
  /** Binary files (a NUL byte in their first 8 KiB): removed, or left unchanged (default: omit). Either way the report lists them. */
  binaryFiles?: 'omit' | 'keep'
  /** Worker threads (default: the number of cores, at most 8). */
  workers?: number
  /** Stops the run between files; the tree is then partly redacted and must not be served. */
  signal?: AbortSignal
}

export interface ReplacementEntry {
  /** The canonical original (e.g. the dotted IPv4 for `ip-10-0-1-2`). */
  canonical: string
  replacedWith: string
  occurrences: Array<{ original: string, count: number }>
}

export interface RuleReport {
  /** Position in the plan's obfuscate list, from 0. */
  index: number
  /** e.g. "IP", "Keywords"; "Regex#2" when a type appears more than once. */
  label: string
  type: ObfuscateRule['type']
  target: RuleTarget
  /** Occurrences replaced, in contents and paths. */
  count: number
  replacements: ReplacementEntry[]
}

export interface RedactionReport {
  source: string
  rules: RuleReport[]
  /** Paths relative to the tree (as gathered, before renaming) and why each was removed. */
  omitted: Array<{ path: string, reason: string }>
  /** Binary files found and what was done with them. */
  binary: Array<{ path: string, action: 'omitted' | 'kept' }>
  /** Files and directories whose names were changed, old → new (relative). */
  renamed: number
  files: { scanned: number, changed: number, bytesRead: number }
  /** Replacements per rule label plus `omitted-files`: what an execution's `redaction-counts` shows. */
  counts: Record<string, number>
}
