import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { type BrowserContext, chromium, type Page } from 'playwright-core'

/** Debian's chromium (`.ci/run` and `npm test` install it when they can). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * The machines have no network: without these flags Chromium stalls on
 * refused connections (updates, sync, QUIC probes). Headless comes from
 * playwright's own flag.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

/** Why the browser tests cannot run here, or undefined when they can (scripts/run-tests.mjs says it loudly too). */
export function browserSkipReason (): string | undefined {
  if (process.env.CONSOLE_BROWSER_SKIPPED !== undefined) return process.env.CONSOLE_BROWSER_SKIPPED
  if (existsSync(CHROMIUM)) return undefined
  return `${CHROMIUM} is missing (install Debian's chromium: apt-get install chromium; npm test does when run as root)`
}

export interface Browser {
  context: BrowserContext
  page: Page
  /** Messages the page logged as errors, and Content-Security-Policy refusals. */
  problems: string[]
  close: () => Promise<void>
}

/** A fresh Chromium profile each time: nothing (tokens, caches) carries over between tests. */
export async function openBrowser (options: { colorScheme?: 'light' | 'dark', acceptDownloads?: boolean } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'mgs-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: options.acceptDownloads ?? true,
    reducedMotion: 'reduce'
  })
  const page = context.pages()[0] ?? await context.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    const text = message.text()
    if (/Content.Security.Policy/i.test(text)) problems.push(text)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  return {
    context,
    page,
    problems,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

// The page's own global, inside page.evaluate (the tests' lib has no DOM).
declare const window: unknown
declare const document: unknown

/**
 * Waits for the page's finite CSS transitions and animations to end (a
 * spinner's infinite one never does). axe measures colours as they are drawn:
 * text inside a section still fading in (PatternFly's 200 ms) has part of its
 * contrast, which a fast machine caught once.
 */
async function settledAnimations (page: Page): Promise<void> {
  await page.evaluate(async () => {
    const running = (document as unknown as { getAnimations: () => Array<{ finished: Promise<unknown>, effect: { getTiming: () => { iterations: number } } | null }> }).getAnimations()
    await Promise.all(running.filter((a) => a.effect?.getTiming().iterations !== Infinity).map(async (a) => await a.finished.catch(() => undefined)))
  })
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/**
 * axe-core's scan of the page as it is: the serious and critical violations.
 * axe is evaluated through the DevTools protocol, which the page's
 * Content-Security-Policy does not govern (a script tag would be refused).
 */
export async function seriousAxeViolations (page: Page): Promise<string[]> {
  await settledAnimations(page)
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (context: unknown, options: object) => Promise<{ violations: Array<{ id: string, impact: string, help: string, nodes: Array<{ target: string[] }> }> }> } })
      .axe.run(document, { resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }))
  })
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.targets.slice(0, 5).join(', ')}`)
}

export const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots')
