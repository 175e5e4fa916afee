import { extname } from 'node:path'

// How a file from an archive may be sent: never as anything a browser would
// render as active content from this origin. The archive holds
// event-filter.html, and text written by the cluster (any pod can log "<script>").

export interface ContentDisposition {
  /** text/plain; charset=utf-8 or application/octet-stream, nothing else. */
  contentType: string
  /** Send with `Content-Disposition: attachment`: its name or bytes say it could be active content if opened. */
  attachment: boolean
}

/** Bytes looked at to tell text from binary, as git and grep do. */
export const SNIFF_BYTES = 8000

/** Extensions of formats a browser would run or render with scripts when opened. */
const ACTIVE_EXTENSIONS = new Set([
  '.html', '.htm', '.xhtml', '.shtml', '.mht', '.mhtml', '.svg', '.svgz', '.xml', '.xsl', '.xslt', '.xht',
  '.js', '.mjs', '.cjs', '.pdf', '.swf', '.hta', '.vbs', '.wasm'
])

/** Markup at the start of a file that a browser sniffing content would take for a document. */
const ACTIVE_START = /^\s*(?:<!doctype\s+html|<html|<head|<body|<script|<svg|<\?xml|<iframe|<!--)/i

/** Whether a file's first bytes (up to SNIFF_BYTES) are text: no NUL, valid UTF-8 (a character cut at the end is fine). */
export function looksLikeText (sample: Buffer): boolean {
  const head = sample.subarray(0, SNIFF_BYTES)
  if (head.includes(0)) return false
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true })
    return true
  } catch {
    return false
  }
}

/** The content type and disposition of a file, from its name and first bytes. */
export function contentDisposition (path: string, sample: Buffer): ContentDisposition {
  const text = looksLikeText(sample)
  const attachment = ACTIVE_EXTENSIONS.has(extname(path).toLowerCase()) ||
    (text && ACTIVE_START.test(sample.toString('utf8', 0, Math.min(sample.length, 512))))
  return { contentType: text ? 'text/plain; charset=utf-8' : 'application/octet-stream', attachment }
}
