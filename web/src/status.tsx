import { Label } from '@patternfly/react-core'
import CheckCircleIcon from '@patternfly/react-icons/dist/esm/icons/check-circle-icon'
import ExclamationCircleIcon from '@patternfly/react-icons/dist/esm/icons/exclamation-circle-icon'
import InProgressIcon from '@patternfly/react-icons/dist/esm/icons/in-progress-icon'
import PendingIcon from '@patternfly/react-icons/dist/esm/icons/pending-icon'

import type { Status } from './api'

const LOOK: Record<Status, { text: string, color: 'blue' | 'green' | 'red' | 'grey', icon: React.ReactNode }> = {
  new: { text: 'Queued', color: 'grey', icon: <PendingIcon /> },
  inprogress: { text: 'Running', color: 'blue', icon: <InProgressIcon /> },
  completed: { text: 'Completed', color: 'green', icon: <CheckCircleIcon /> },
  error: { text: 'Failed', color: 'red', icon: <ExclamationCircleIcon /> }
}

/** The status as a coloured label: the text says it, so colour is never the only cue. */
export function StatusLabel ({ status }: { status: Status }): React.ReactNode {
  const look = LOOK[status]
  return <Label color={look.color} icon={look.icon} data-status={status}>{look.text}</Label>
}

export const STATUS_TEXT: Record<Status, string> = Object.fromEntries(Object.entries(LOOK).map(([k, v]) => [k, v.text])) as Record<Status, string>
