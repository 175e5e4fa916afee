import { Button } from '@patternfly/react-core'
import { useState } from 'react'

import { storedToken } from '../api'
import { downloadWithToken, fileUrl } from './archive-api'

/** Saves one file of the archive: a plain link, or (with a pasted token) a fetch that carries it. */
export function DownloadButton ({ id, path, name, compact = false }: { id: number, path: string, name: string, compact?: boolean }): React.ReactNode {
  const [problem, setProblem] = useState<string | undefined>()
  const url = fileUrl(id, path)
  const click = (event: React.MouseEvent): void => {
    if (storedToken() === undefined) return
    event.preventDefault()
    setProblem(undefined)
    downloadWithToken(url, name).catch((error: unknown) => setProblem((error as Error).message))
  }
  return (
    <>
      <Button
        variant={compact ? 'link' : 'secondary'} isInline={compact} component='a' href={url} download={name} onClick={click}
        aria-label={`Download ${name}`} data-testid='file-download'
      >{compact ? '(download)' : `Download ${name}`}
      </Button>
      {problem !== undefined && <span role='alert' className='mgc-error'> Download failed: {problem}</span>}
    </>
  )
}
