import type { FileLocation } from './FileBrowser'

export type TabKey = 'summary' | 'files' | 'search' | 'compare'
const TABS: readonly TabKey[] = ['summary', 'files', 'search', 'compare']

/** What the archive part of an execution page shows: in the address's query, so it can be linked, reloaded and gone back to. */
export interface InsightView { tab: TabKey, location: FileLocation }

/**
 * Reads the view from a query string: `?tab=files&dir=<dir>&file=<path>&line=N&offset=B`.
 * Anything missing or malformed falls back to the summary, the archive's top.
 */
export function viewOf (search: string): InsightView {
  const query = new URLSearchParams(search)
  const tab = TABS.find((t) => t === query.get('tab')) ?? 'summary'
  const file = query.get('file') ?? undefined
  const slash = file?.lastIndexOf('/') ?? -1
  const dir = query.get('dir') ?? (file !== undefined && slash > 0 ? file.slice(0, slash) : '')
  const line = whole(query.get('line'), 1)
  const offset = whole(query.get('offset'), 0)
  return {
    tab,
    location: {
      dir,
      ...(file !== undefined && file !== '' && { file }),
      ...(file !== undefined && line !== undefined && { line }),
      ...(file !== undefined && line !== undefined && offset !== undefined && { offset })
    }
  }
}

/** The query string for a view (empty for the summary at the top, the page's plain address). */
export function searchOf ({ tab, location }: InsightView): string {
  const query = new URLSearchParams()
  if (tab !== 'summary') query.set('tab', tab)
  if (location.dir !== '') query.set('dir', location.dir)
  if (location.file !== undefined) query.set('file', location.file)
  if (location.line !== undefined) query.set('line', String(location.line))
  if (location.offset !== undefined) query.set('offset', String(location.offset))
  const text = query.toString()
  return text === '' ? '' : `?${text}`
}

function whole (text: string | null, least: number): number | undefined {
  if (text === null || !/^\d{1,15}$/.test(text)) return undefined
  const n = Number(text)
  return n >= least ? n : undefined
}
