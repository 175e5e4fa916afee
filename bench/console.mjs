// @ts-check
// Issue 13, the web console, in headless Chromium (Debian's, driven by
// playwright-core) against the shared 1,000-record service:
// - time from navigation until the executions are on the page, fresh profile
//   (nothing cached), against a minimal page that fetches the same JSON and
//   writes the same rows with innerHTML, served by a plain Node server;
// - bytes transferred for that first load (compressed, as sent);
// - the service's CPU over 60 s with an idle console tab open, against the
//   same 60 s with no tab.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { chromium } from 'playwright-core'

import { cpuSeconds, fmt, met, row, sleep } from './lib.mjs'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// As test/helpers/browser.ts: without them Chromium stalls on refused connections (no network here).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const ROUNDS = 5
const IDLE_SECONDS = 60

/**
 * In the page: 50 executions are rows. A function, not a string: the page's CSP forbids eval.
 * (Runs in the browser; `globalThis` there is the window.)
 */
const fiftyRows = () => /** @type {any} */ (globalThis).document.querySelectorAll('tr[data-id]').length >= 50

/** A fresh profile each time: a first visit, nothing in the browser's cache. */
async function freshBrowser () {
  const profile = mkdtempSync(join(tmpdir(), 'mgs-bench-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1400, height: 900 } })
  const page = context.pages()[0] ?? await context.newPage()
  return {
    context,
    page,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

/**
 * Milliseconds from navigation until 50 executions are rows on the page, and
 * the bytes every response of that load took on the wire (headers + body as sent).
 * @param {string} url
 */
async function firstLoad (url) {
  const browser = await freshBrowser()
  try {
    /** @type {import('playwright-core').Request[]} */
    const requests = []
    browser.page.on('requestfinished', (request) => { requests.push(request) })
    const started = performance.now()
    await browser.page.goto(url, { waitUntil: 'commit' })
    await browser.page.waitForFunction(fiftyRows, undefined, { polling: 'raf', timeout: 30_000 })
    const ms = performance.now() - started
    // Whatever the page asked for while it came up (fonts, the icon) counts too.
    await browser.page.waitForLoadState('networkidle')
    let bytes = 0
    for (const request of requests) {
      const sizes = await request.sizes()
      bytes += sizes.responseBodySize + sizes.responseHeadersSize
    }
    return { ms, bytes, requests: requests.length }
  } finally {
    await browser.close()
  }
}

/**
 * The floor: a plain Node server with a page whose one script fetches the same
 * list (51 entries, as the console asks) and writes 50 rows.
 * @param {unknown} list
 */
async function startReferencePage (list) {
  const json = Buffer.from(JSON.stringify(list))
  const script = Buffer.from(`fetch('/must-gather?limit=51&offset=0').then((r) => r.json()).then((list) => {
  document.querySelector('tbody').innerHTML = list.slice(0, 50).map((e) => '<tr data-id="' + e.id + '"><td>' + e['custom-name'] + '</td><td>' + e.status + '</td><td>' + e.phase + '</td><td>' + e.image + '</td><td>' + e['created-at'] + '</td><td>' + e['archive-size'] + '</td></tr>').join('')
})`)
  const html = Buffer.from('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>reference</title><script src="/app.js" defer></script></head><body><table><tbody></tbody></table></body></html>')
  const server = createServer((req, res) => {
    const [type, body] = req.url?.startsWith('/must-gather') ? ['application/json', json] : req.url === '/app.js' ? ['text/javascript', script] : req.url === '/' ? ['text/html', html] : ['text/plain', Buffer.from('')]
    res.writeHead(body.length === 0 ? 404 : 200, { 'Content-Type': type, 'Content-Length': body.length })
    res.end(body)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  return { url: `http://127.0.0.1:${address.port}/`, stop: () => new Promise((resolve) => server.close(resolve)) }
}

/** @param {number[]} values */
const median = (values) => /** @type {number} */ ([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)])

/** @param {import('./lib.mjs').Context} ctx @returns {Promise<import('./lib.mjs').Row[]>} */
export async function consoleBench (ctx) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`)
  const { service } = await ctx.main()
  const page = await (await fetch(`${service.url}/`)).text()
  if (!page.includes('<div id="root">')) throw new Error('the service does not serve the console: run npm run build first')
  const list = await (await fetch(`${service.url}/must-gather?limit=51&offset=0`)).json()
  const reference = await startReferencePage(list)
  /** @type {number[]} */
  const consoleMs = []
  /** @type {number[]} */
  const referenceMs = []
  let consoleBytes = 0
  let consoleRequests = 0
  try {
    // Alternating, after one warm-up of each (the service's list cache, the page cache, Chromium's binary).
    for (let round = 0; round <= ROUNDS; round++) {
      const a = await firstLoad(`${service.url}/`)
      const b = await firstLoad(reference.url)
      if (round === 0) continue
      consoleMs.push(a.ms)
      referenceMs.push(b.ms)
      consoleBytes = a.bytes
      consoleRequests = a.requests
      ctx.log(`console: round ${round}: console ${fmt(a.ms)} ms (${fmt(a.bytes / 1000)} kB), reference ${fmt(b.ms)} ms`)
    }
  } finally {
    await reference.stop()
  }
  const ms = median(consoleMs)
  const refMs = median(referenceMs)

  // CPU of the service: 60 s with no tab, then 60 s with an idle console tab on the list.
  await sleep(2000)
  const idleBefore = cpuSeconds(service.pid)
  await sleep(IDLE_SECONDS * 1000)
  const noTab = (cpuSeconds(service.pid) - idleBefore) / IDLE_SECONDS
  const browser = await freshBrowser()
  let withTab = 0
  let polls = 0
  let unchanged = 0
  try {
    // 'response', not 'requestfinished': a 304 has no body and never "finishes".
    browser.page.on('response', (response) => {
      if (!response.url().includes('/must-gather?')) return
      polls++
      if (response.status() === 304) unchanged++
    })
    await browser.page.goto(`${service.url}/`)
    await browser.page.waitForFunction(fiftyRows)
    polls = 0
    unchanged = 0
    const before = cpuSeconds(service.pid)
    await sleep(IDLE_SECONDS * 1000)
    withTab = (cpuSeconds(service.pid) - before) / IDLE_SECONDS
  } finally {
    await browser.close()
  }
  const percent = (/** @type {number} */ share) => `${(share * 100).toFixed(2)} % of a core`

  return [
    row({
      group: 13,
      bench: '13. console: executions visible, 1,000 records',
      figure: `${fmt(ms)} ms (median of ${ROUNDS})`,
      reference: `${fmt(refMs)} ms (plain page, same JSON)`,
      ratio: (ms / refMs).toFixed(2),
      target: '≤ 1,500 ms',
      met: met(ms <= 1500),
      note: 'headless Chromium, fresh profile each load (nothing cached), from navigation until 50 execution rows are in the DOM; ' +
        'the reference is a page of one small script fetching the same 51 entries from a plain Node server and writing 50 rows with innerHTML'
    }),
    row({
      group: 13,
      bench: '13. console: bytes on the first load',
      figure: `${fmt(consoleBytes / 1000)} kB in ${consoleRequests} responses`,
      target: '≤ 600 kB',
      met: met(consoleBytes <= 600_000),
      note: 'headers and bodies as sent (gzip), every response of the first load until the network is idle: page, script, styles, fonts, icon, the list'
    }),
    row({
      group: 13,
      bench: '13. console: service CPU, idle tab open 60 s',
      figure: percent(withTab),
      reference: `${percent(noTab)} (no tab)`,
      target: '< 1 % of a core',
      met: met(withTab < 0.01),
      note: `the executions page polls its page of the list with If-None-Match: ${polls} polls in ${IDLE_SECONDS} s, ${unchanged} of them answered 304`
    })
  ]
}
