import { Button } from '@patternfly/react-core'

export type OpenFile = (path: string, line?: number) => void

/** A finding's `source`: opens the file in the viewer (a button: it changes the view, it goes nowhere). */
export function FileLink ({ path, line, openFile, children }: { path: string | null, line?: number | null, openFile: OpenFile, children?: React.ReactNode }): React.ReactNode {
  if (path === null || path === '') return <span className='mgc-subtle'>—</span>
  const where = line === undefined || line === null ? path : `${path}, line ${line}`
  return (
    <Button
      variant='link' isInline className='mgc-file-link' aria-label={`Open ${where}`}
      onClick={() => openFile(path, line ?? undefined)}
    >{children ?? where}
    </Button>
  )
}
