import { Button } from '@patternfly/react-core'
import { Fragment } from 'react'

/** Opens a file in the viewer, at a line (and, when search found it, where that line starts, in bytes). */
export type OpenFile = (path: string, line?: number, offset?: number) => void

/**
 * A finding's `source` or a search result: opens the file in the viewer (a
 * button: it changes the view, it goes nowhere). Its accessible name starts
 * with its visible text, then says which file when the text does not.
 */
export function FileLink ({ path, line, offset, openFile, children }: { path: string | null, line?: number | null, offset?: number, openFile: OpenFile, children?: string }): React.ReactNode {
  if (path === null || path === '') return <span className='mgc-subtle'>—</span>
  const where = line === undefined || line === null ? path : `${path}, line ${line}`
  const text = children ?? where
  return (
    <Button
      variant='link' isInline className='mgc-file-link' {...(!text.includes(path) && { 'aria-label': `${text} ${where}` })}
      onClick={() => openFile(path, line ?? undefined, offset)}
    ><BreakAfterSlashes text={text} />
    </Button>
  )
}

/** The text with a line-break opportunity after each `/`: a long path wraps between its names, not inside one. */
function BreakAfterSlashes ({ text }: { text: string }): React.ReactNode {
  const parts = text.split('/')
  return <>{parts.map((part, i) => i < parts.length - 1 ? <Fragment key={i}>{part}/<wbr /></Fragment> : part)}</>
}
