// The report: per rule, each canonical original, its replacement and how
// often each spelling of it was replaced (must-gather-clean's report shape),
// plus what was omitted and which files were binary.
import type { RunMapping } from './mapping.js'
import { type CompiledRule, type Counts, fromLatin1 } from './rules.js'
import type { RedactionPlan, RedactionReport, ReplacementEntry, RuleReport } from './types.js'

interface ReportParts {
  plan: RedactionPlan
  rules: CompiledRule[]
  mapping: RunMapping
  counts: Counts
  omitted: RedactionReport['omitted']
  binary: RedactionReport['binary']
  renamed: number
  files: RedactionReport['files']
}

export function buildReport ({ plan, rules, mapping, counts, omitted, binary, renamed, files }: ReportParts): RedactionReport {
  const byRule = new Map<number, Map<string, ReplacementEntry>>()
  const totals = new Map<number, number>()
  for (const [countKey, n] of counts) {
    const [rule, key, original] = countKey.split('\u0000') as [string, string, string]
    const index = Number(rule)
    totals.set(index, (totals.get(index) ?? 0) + n)
    let entries = byRule.get(index)
    if (entries === undefined) byRule.set(index, entries = new Map())
    let entry = entries.get(key)
    if (entry === undefined) {
      const [canonical, replacedWith] = key.startsWith('=')
        ? key.slice(1).split('\u0001') as [string, string]
        : [key.slice(2), mapping.lookup(key)]
      entry = { canonical: fromLatin1(canonical), replacedWith: fromLatin1(replacedWith), occurrences: [] }
      entries.set(key, entry)
    }
    entry.occurrences.push({ original: fromLatin1(original), count: n })
  }
  const ruleReports: RuleReport[] = rules.map((rule) => ({
    index: rule.index,
    label: rule.label,
    type: rule.type,
    target: plan.obfuscate[rule.index]?.target ?? 'FileContents',
    count: totals.get(rule.index) ?? 0,
    replacements: [...(byRule.get(rule.index)?.values() ?? [])]
  }))
  const sortedOmitted = [...omitted].sort((a, b) => a.path.localeCompare(b.path))
  return {
    source: plan.source,
    rules: ruleReports,
    omitted: sortedOmitted,
    binary: [...binary].sort((a, b) => a.path.localeCompare(b.path)),
    renamed,
    files,
    counts: {
      ...Object.fromEntries(ruleReports.map((r) => [r.label, r.count])),
      'omitted-files': sortedOmitted.length + binary.filter((b) => b.action === 'omitted').length
    }
  }
}
