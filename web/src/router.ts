import { type MouseEvent, useEffect, useState } from 'react'

/**
 * The console's three places, in the address bar so they can be bookmarked
 * and reloaded (the service answers these paths with the console's page):
 * `/` executions, `/new` the form, `/executions/<id>` one execution.
 */
export type Place = { page: 'executions' } | { page: 'new' } | { page: 'execution', id: string } | { page: 'unknown' }

export function placeOf (pathname: string): Place {
  if (pathname === '/' || pathname === '') return { page: 'executions' }
  if (pathname === '/new') return { page: 'new' }
  const match = /^\/executions\/([^/]+)$/.exec(pathname)
  if (match?.[1] !== undefined) return { page: 'execution', id: decodeURIComponent(match[1]) }
  return { page: 'unknown' }
}

/** The event navigate() sends: the address changed without a page load. */
export const NAVIGATED = 'console:navigated'

export function navigate (path: string, { replace = false } = {}): void {
  if (replace) history.replaceState(null, '', path)
  else history.pushState(null, '', path)
  window.dispatchEvent(new Event(NAVIGATED))
}

export function usePlace (): Place {
  const [place, setPlace] = useState(() => placeOf(location.pathname))
  useEffect(() => {
    const update = (): void => setPlace(placeOf(location.pathname))
    window.addEventListener('popstate', update)
    window.addEventListener(NAVIGATED, update)
    return () => {
      window.removeEventListener('popstate', update)
      window.removeEventListener(NAVIGATED, update)
    }
  }, [])
  return place
}

/** onClick for links to console places: the page stays, only the view changes (modified clicks still open tabs). */
export function followLink (event: MouseEvent<Element>): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
  const href = event.currentTarget.closest('a')?.getAttribute('href')
  if (href === undefined || href === null) return
  event.preventDefault()
  navigate(href)
}

export const executionPath = (id: number | string): string => `/executions/${encodeURIComponent(String(id))}`
