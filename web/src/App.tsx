import {
  Alert,
  Button,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadMain,
  Page,
  PageSection,
  SkipToContent,
  Spinner,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem
} from '@patternfly/react-core'
import { lazy, Suspense, useEffect, useState } from 'react'

import { type ApiError, onAccessProblem, storedToken, storeToken } from './api'
import { ExecutionsPage } from './pages/ExecutionsPage'
import { followLink, usePlace } from './router'

// The list is what most visits start with: the other pages (and their PatternFly parts) load when first shown.
const ExecutionPage = lazy(async () => ({ default: (await import('./pages/ExecutionPage')).ExecutionPage }))
const NewExecutionPage = lazy(async () => ({ default: (await import('./pages/NewExecutionPage')).NewExecutionPage }))
const SignInPage = lazy(async () => ({ default: (await import('./pages/SignInPage')).SignInPage }))

/**
 * The shell: masthead, and the page the address names. Any 401 brings up
 * the sign-in screen (the token is missing, expired or rejected); a 403 is
 * explained where it happened, since signing in again would not help.
 */
export function App (): React.ReactNode {
  const place = usePlace()
  const [signIn, setSignIn] = useState<{ reason: string } | undefined>()
  const [forbidden, setForbidden] = useState<string | undefined>()
  const [signedIn, setSignedIn] = useState(storedToken() !== undefined)

  useEffect(() => onAccessProblem((error: ApiError) => {
    if (error.status === 401) {
      const hadToken = storedToken() !== undefined
      storeToken(undefined)
      setSignedIn(false)
      // Requests in flight together all come back 401: the first one, which found the token, says why;
      // the others find it gone already and must not wipe that reason.
      const reason = `The service no longer accepts your token (401: ${error.message}). Sign in again.`
      setSignIn((current) => hadToken ? { reason } : current ?? { reason: '' })
    } else {
      setForbidden(error.message)
    }
  }), [])

  const signOut = (): void => {
    storeToken(undefined)
    setSignedIn(false)
    setSignIn({ reason: 'You signed out.' })
  }

  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadBrand>
          <a className='mgc-brand' href='/' onClick={followLink}>must-gather</a>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight>
          <ToolbarContent>
            {signedIn && (
              <ToolbarItem align={{ default: 'alignEnd' }}>
                <Button variant='secondary' onClick={signOut}>Sign out</Button>
              </ToolbarItem>
            )}
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  )

  let content: React.ReactNode
  if (signIn !== undefined) {
    content = (
      <SignInPage
        reason={signIn.reason} onSignedIn={() => {
          setSignIn(undefined)
          setForbidden(undefined)
          setSignedIn(true)
        }}
      />
    )
  } else if (forbidden !== undefined) {
    content = (
      <PageSection>
        <Title headingLevel='h1'>Not allowed</Title>
        <Alert variant='danger' isInline title='The service refused this request (403)' className='mgc-mt-md'>
          <p>{forbidden}</p>
          <p>You are signed in, but the cluster does not let this user run must-gather through this service. A cluster administrator can grant it (see the service's README, "Who may call").</p>
        </Alert>
        {storedToken() !== undefined && <Button className='mgc-mt-md' variant='secondary' onClick={signOut}>Sign in as someone else</Button>}
      </PageSection>
    )
  } else {
    switch (place.page) {
      case 'executions': content = <ExecutionsPage />; break
      case 'new': content = <NewExecutionPage />; break
      case 'execution': content = <ExecutionPage key={place.id} id={place.id} />; break
      default:
        content = (
          <PageSection>
            <Title headingLevel='h1'>Page not found</Title>
            <p>There is nothing at this address. <a href='/' onClick={followLink}>Go to the executions</a>.</p>
          </PageSection>
        )
    }
  }

  return (
    <Page
      masthead={masthead}
      skipToContent={<SkipToContent href='#main'>Skip to content</SkipToContent>}
      mainContainerId='main'
    >
      <Suspense fallback={<PageSection><Spinner aria-label='Loading' /></PageSection>}>{content}</Suspense>
    </Page>
  )
}
