import {
  ActionGroup,
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  PageSection,
  TextInput,
  Title
} from '@patternfly/react-core'
import { useState } from 'react'

import { errorOf, storeToken } from '../api'

/**
 * Sign-in without oauth-proxy: the person pastes an OpenShift token. It is
 * tried once against the API (the service's TokenReview and
 * SubjectAccessReview decide) and kept in sessionStorage only if it works.
 */
export function SignInPage ({ reason, onSignedIn }: { reason: string, onSignedIn: () => void }): React.ReactNode {
  const [token, setToken] = useState('')
  const [problem, setProblem] = useState<{ title: string, detail: string } | undefined>()
  const [checking, setChecking] = useState(false)

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault()
    const candidate = token.trim()
    if (candidate === '' || checking) return
    setChecking(true)
    setProblem(undefined)
    try {
      // Not apiFetch: a refusal here is explained on this screen, not by the app.
      const response = await fetch('/must-gather?limit=1', { headers: { Accept: 'application/json', Authorization: `Bearer ${candidate}` } })
      if (response.ok) {
        storeToken(candidate)
        onSignedIn()
        return
      }
      const error = await errorOf(response)
      if (response.status === 401) {
        setProblem({ title: 'The cluster did not accept this token (401)', detail: `It may be mistyped, or expired (tokens from oc whoami -t expire; log in with oc again for a new one). The service said: ${error.message}` })
      } else if (response.status === 403) {
        setProblem({ title: 'This user may not run must-gather (403)', detail: `The token is valid, but the cluster does not allow this user what the service requires. Ask a cluster administrator for access, or sign in as another user. The service said: ${error.message}` })
      } else {
        setProblem({ title: `The service could not check the token (${response.status})`, detail: error.message })
      }
    } catch (error) {
      setProblem({ title: 'The service cannot be reached', detail: (error as Error).message })
    } finally {
      setChecking(false)
    }
  }

  return (
    <PageSection>
      <Card style={{ maxWidth: '40rem' }}>
        <CardTitle><Title headingLevel='h1'>Sign in</Title></CardTitle>
        <CardBody>
          {reason !== '' && <Alert variant='info' isInline isPlain title={reason} className='mgc-mb-md' />}
          <p className='mgc-mb-md'>
            This service runs must-gather with your own OpenShift rights. Paste a token, for example the output of <code className='mgc-mono'>oc whoami -t</code>.
            It is kept in this browser tab only (sessionStorage) and sent to this service alone.
          </p>
          {problem !== undefined && (
            <Alert variant='danger' isInline title={problem.title} className='mgc-mb-md' data-testid='sign-in-problem'>{problem.detail}</Alert>
          )}
          <Form onSubmit={(event) => { submit(event).catch(() => {}) }}>
            <FormGroup label='Token' isRequired fieldId='token'>
              <TextInput
                id='token'
                type='password'
                autoComplete='off'
                isRequired
                value={token}
                onChange={(_event, value) => setToken(value)}
                validated={problem === undefined ? 'default' : 'error'}
              />
              <FormHelperText>
                <HelperText><HelperTextItem>An OpenShift bearer token (sha256~…).</HelperTextItem></HelperText>
              </FormHelperText>
            </FormGroup>
            <ActionGroup>
              <Button type='submit' variant='primary' isDisabled={checking || token.trim() === ''} isLoading={checking}>Sign in</Button>
            </ActionGroup>
          </Form>
        </CardBody>
      </Card>
    </PageSection>
  )
}
