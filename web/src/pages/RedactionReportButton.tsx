import { Button } from '@patternfly/react-core'
import { useState } from 'react'

import { downloadWithToken } from '../insight/archive-api'

/**
 * Saves an execution's redaction report (original → replacement). Always
 * fetched, never a plain link: when the caller may not read it (its own
 * access rule) or the service does not serve it, the service's reason is
 * shown here instead of being saved as the file.
 */
export function RedactionReportButton ({ id }: { id: number }): React.ReactNode {
  const [problem, setProblem] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  const save = (): void => {
    setProblem(undefined)
    setBusy(true)
    downloadWithToken(`/must-gather/${id}/redaction-report`, `redaction-report-${id}.json`)
      .catch((error: unknown) => setProblem((error as Error).message))
      .finally(() => setBusy(false))
  }
  return (
    <>
      <Button variant='secondary' onClick={save} isLoading={busy} isDisabled={busy} className='mgc-wrap-button' data-testid='redaction-report'>
        Download the redaction report
      </Button>
      {problem !== undefined && <span role='alert' className='mgc-error'> {problem}</span>}
    </>
  )
}
