import { Alert, Button, Flex, FlexItem } from '@patternfly/react-core'
import { useEffect, useRef, useState } from 'react'

import { apiFetch, errorOf } from '../api'

/** At most this much of the output is kept on the page; the whole of it is one link away. */
const SHOWN_CHARS = 1_000_000

/**
 * What oc printed, as it is written: `?follow=true` streams it through
 * fetch (an EventSource could not carry the token) until the execution
 * ends; a broken stream resumes at the byte it had reached. The view
 * follows the end until the person scrolls up, and again once they scroll
 * back down.
 */
export function OutputView ({ id, running }: { id: number, running: boolean }): React.ReactNode {
  const pre = useRef<HTMLPreElement>(null)
  const following = useRef(true)
  const [text, setText] = useState('')
  const [cut, setCut] = useState(false)
  const [problem, setProblem] = useState<string | undefined>()
  const [isFollowing, setIsFollowing] = useState(true)
  // Starting is decided once: a finished execution is read once, a live one followed to its end.
  const [follow] = useState(running)

  useEffect(() => {
    const abort = new AbortController()
    let received = 0
    let buffer = ''
    let frame: number | undefined
    const flush = (): void => {
      frame = undefined
      if (buffer.length > SHOWN_CHARS) {
        buffer = buffer.slice(buffer.length - SHOWN_CHARS)
        setCut(true)
      }
      setText(buffer)
    }
    const read = async (): Promise<void> => {
      for (let attempt = 0; attempt < 20 && !abort.signal.aborted; attempt++) {
        try {
          const response = await apiFetch(`/must-gather/${id}/output?${new URLSearchParams({ follow: String(follow), offset: String(received) }).toString()}`, {
            headers: { Accept: 'text/plain' },
            signal: abort.signal
          })
          if (!response.ok) throw await errorOf(response)
          const reader = response.body?.getReader()
          const decoder = new TextDecoder()
          if (reader === undefined) return
          for (;;) {
            const { done, value } = await reader.read()
            if (done) break
            received += value.byteLength
            buffer += decoder.decode(value, { stream: true })
            frame ??= requestAnimationFrame(flush)
          }
          buffer += decoder.decode()
          frame ??= requestAnimationFrame(flush)
          setProblem(undefined)
          return
        } catch (error) {
          if (abort.signal.aborted) return
          setProblem((error as Error).message)
          await new Promise((resolve) => setTimeout(resolve, 1000))
        }
      }
    }
    read().catch(() => {})
    return () => {
      abort.abort()
      if (frame !== undefined) cancelAnimationFrame(frame)
    }
  }, [id, follow])

  useEffect(() => {
    const element = pre.current
    if (element !== null && following.current) element.scrollTop = element.scrollHeight
  }, [text])

  const onScroll = (): void => {
    const element = pre.current
    if (element === null) return
    const atEnd = element.scrollHeight - element.scrollTop - element.clientHeight < 8
    following.current = atEnd
    setIsFollowing(atEnd)
  }

  return (
    <>
      {problem !== undefined && <Alert variant='warning' isInline isPlain title={`The output could not be read: ${problem}`} />}
      <Flex className='mgc-mb-sm' alignItems={{ default: 'alignItemsCenter' }}>
        <FlexItem>
          {running ? (isFollowing ? 'Following the output as it is written.' : 'Scrolled up: the view stays here.') : ''}
          {cut ? ` Showing the last ${SHOWN_CHARS.toLocaleString()} characters.` : ''}
        </FlexItem>
        {!isFollowing && (
          <FlexItem>
            <Button
              variant='link' isInline onClick={() => {
                following.current = true
                setIsFollowing(true)
                if (pre.current !== null) pre.current.scrollTop = pre.current.scrollHeight
              }}
            >Jump to the end
            </Button>
          </FlexItem>
        )}
      </Flex>
      <pre
        ref={pre} className='mgc-output' tabIndex={0} onScroll={onScroll}
        aria-label='Output of oc' data-testid='output' data-following={isFollowing}
      >{text}
      </pre>
    </>
  )
}
