import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import type { Locator } from 'playwright-core'

import { type Browser, browserSkipReason, openBrowser, SCREENSHOTS, seriousAxeViolations } from '../helpers/browser.js'
import { type RunningService, SIM_IMAGE, startService, stopAndClean, waitForFinish } from '../helpers/service.js'

/**
 * The archive on the execution page, in a real Chromium against the real
 * service and the oc simulator: summary, file browser and viewer, streamed
 * search and comparison, each scanned by axe-core and photographed.
 */
// The page's globals, inside page.evaluate callbacks (the tests' own lib has no DOM).
declare const document: { activeElement: { textContent: string | null, getAttribute: (name: string) => string | null } | null }

const skip = browserSkipReason()
if (skip !== undefined) console.error(`SKIPPED: console insight browser tests: ${skip}`)

interface Entry { name: string, path: string, type: string, size: number, archive?: boolean }

/** Walks the archive's listing (through the API) until `wanted` accepts a file. */
async function findEntry (service: RunningService, id: number, wanted: (entry: Entry) => boolean, dir = ''): Promise<Entry | undefined> {
  const page = (await service.json<{ entries: Entry[] }>(`/must-gather/${id}/files?path=${encodeURIComponent(dir)}&limit=10000`)).body
  for (const entry of page.entries) if (wanted(entry)) return entry
  for (const entry of page.entries) {
    if (entry.type !== 'directory') continue
    const found = await findEntry(service, id, wanted, entry.path)
    if (found !== undefined) return found
  }
  return undefined
}

/** The first directory (through the API, breadth first) holding more than `count` entries. */
async function findBigDirectory (service: RunningService, id: number, count: number): Promise<{ path: string, total: number } | undefined> {
  const queue = ['']
  while (queue.length > 0) {
    const dir = queue.shift() as string
    const page = (await service.json<{ total: number, entries: Entry[] }>(`/must-gather/${id}/files?path=${encodeURIComponent(dir)}&limit=10000`)).body
    if (page.total > count) return { path: dir, total: page.total }
    for (const entry of page.entries) if (entry.type === 'directory') queue.push(entry.path)
  }
  return undefined
}

/** The character before each place where the element's text wraps onto a new line. */
async function charsBeforeLineBreaks (element: Locator): Promise<string[]> {
  return await element.evaluate((node: any) => {
    const doc = node.ownerDocument
    const walker = doc.createTreeWalker(node, 4) // NodeFilter.SHOW_TEXT
    const before: string[] = []
    let lastTop: number | undefined
    let lastChar = ''
    for (let text = walker.nextNode(); text !== null; text = walker.nextNode()) {
      for (let i = 0; i < text.data.length; i++) {
        const range = doc.createRange()
        range.setStart(text, i)
        range.setEnd(text, i + 1)
        const rect = range.getBoundingClientRect()
        if (rect.width === 0) continue
        if (lastTop !== undefined && rect.top > lastTop + rect.height / 2) before.push(lastChar)
        lastTop = rect.top
        lastChar = text.data[i]
      }
    }
    return before
  })
}

describe('web console: inside the archive (AUTH_MODE=none)', { skip }, () => {
  let service: RunningService
  let browser: Browser
  let earlier: any
  let later: any
  let big: any
  let nested: any

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    // The simulator's `archive` scenario writes must-gather.tar.gz; under another ARCHIVE_FILENAME the
    // service packs the tree with that file inside, as a nested archive.
    service = await startService({ env: { MAX_CONCURRENT: '4', ARCHIVE_FILENAME: 'image-archive.tar.gz' } })
    earlier = (await service.post({ image: `${SIM_IMAGE}:latest`, 'custom-name': 'nightly' })).body
    earlier = await waitForFinish(service, earlier.id)
    later = (await service.post({ image: `${SIM_IMAGE}:latest`, 'custom-name': 'nightly' })).body
    big = (await service.post({ image: `${SIM_IMAGE}:size-9m`, 'custom-name': 'big' })).body
    nested = (await service.post({ image: `${SIM_IMAGE}:archive`, 'custom-name': 'nested' })).body
    later = await waitForFinish(service, later.id)
    big = await waitForFinish(service, big.id, 60_000)
    nested = await waitForFinish(service, nested.id)
    for (const e of [earlier, later, big, nested]) assert.equal(e.status, 'completed', `execution ${e.id} completed`)
    browser = await openBrowser()
  })
  after(async () => {
    await browser?.close()
    if (service !== undefined) await stopAndClean(service)
  })

  /** The archive's part of the page, whole: the window made tall enough that none of it scrolls out of sight. */
  const photograph = async (name: string): Promise<void> => {
    const { page } = browser
    const section = page.getByTestId('archive-insight')
    const box = await section.boundingBox()
    assert.ok(box !== null)
    await page.setViewportSize({ width: 1400, height: Math.min(8000, Math.ceil(box.y + box.height) + 200) })
    try {
      await section.screenshot({ path: join(SCREENSHOTS, name) })
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 })
    }
  }

  const accessible = async (what: string): Promise<void> => {
    assert.deepEqual(await seriousAxeViolations(browser.page), [], `axe-core on ${what}`)
    assert.deepEqual(browser.problems, [], `no page errors or CSP refusals on ${what}`)
  }

  it('the file browser lists directories page by page, with a breadcrumb, and the viewer shows a text file', async () => {
    const { page } = browser
    await page.goto(`${service.url}/executions/${later.id}`)
    await page.getByRole('tab', { name: 'Files' }).click()
    const top = (await service.json(`/must-gather/${later.id}/files?path=`)).body
    const list = page.getByTestId('file-list')
    for (const entry of top.entries) await list.locator(`tr[data-path="${entry.path}"]`).waitFor()
    assert.equal(await list.locator('tbody tr').count(), top.entries.length)

    // Down one directory by its button, then into the next, then back up by the breadcrumb.
    const dir = top.entries.find((e: Entry) => e.type === 'directory')
    assert.ok(dir !== undefined, 'the archive has a directory at the top')
    await list.getByRole('button', { name: `Open directory ${dir.name}` }).click()
    const inside = (await service.json(`/must-gather/${later.id}/files?path=${encodeURIComponent(dir.path)}`)).body
    await list.locator(`tr[data-path="${inside.entries[0].path}"]`).waitFor()
    await page.getByTestId('path-crumbs').getByText(dir.name).waitFor()
    await accessible('the file browser')
    await photograph('archive-files.png')
    await page.getByTestId('path-crumbs').getByRole('button', { name: 'archive' }).click()
    await list.locator(`tr[data-path="${dir.path}"]`).waitFor()

    // A YAML file, viewed: the text on the page is the file's bytes.
    const yaml = await findEntry(service, later.id, (e) => e.type === 'file' && e.name.endsWith('.yaml') && e.size > 200 && e.size < 100_000)
    assert.ok(yaml !== undefined)
    const slash = yaml.path.lastIndexOf('/')
    await page.goto(`${service.url}/executions/${later.id}`)
    await page.getByRole('tab', { name: 'Files' }).click()
    // Through the breadcrumb's levels to the file, one directory at a time.
    const parts = yaml.path.slice(0, slash).split('/')
    for (const part of parts) await page.getByTestId('file-list').getByRole('button', { name: `Open directory ${part}` }).click()
    await page.getByTestId('file-list').getByRole('button', { name: `View ${yaml.name}` }).click()
    await page.getByTestId('viewer-title').getByText(yaml.path).waitFor()
    const text = await (await service.fetch(`/must-gather/${later.id}/files/${yaml.path}`)).text()
    await page.getByTestId('file-text').locator('.mgc-line').first().waitFor()
    const lines = await page.getByTestId('file-text').locator('.mgc-line-text').allInnerTexts()
    assert.equal(lines.join('\n'), text.replace(/\n$/, ''), 'the viewer shows the file as the API serves it')
    assert.match(await page.getByTestId('file-download').getAttribute('href') ?? '', new RegExp(`/must-gather/${later.id}/files/`))
    await accessible('the file viewer')
    await photograph('archive-viewer.png')
  })

  it('a big file shows its first 256 KiB, then more on request', async () => {
    const { page } = browser
    const log = await findEntry(service, big.id, (e) => e.type === 'file' && e.size > 600 * 1024)
    assert.ok(log !== undefined, 'the size-9m run has a multi-MiB file')
    await page.goto(`${service.url}/executions/${big.id}`)
    await page.getByRole('tab', { name: 'Files' }).click()
    const parts = log.path.split('/')
    for (const part of parts.slice(0, -1)) await page.getByTestId('file-list').getByRole('button', { name: `Open directory ${part}` }).click()
    await page.getByTestId('file-list').getByRole('button', { name: `View ${log.name}` }).click()
    const extent = page.getByTestId('viewer-extent')
    await extent.getByText('Showing the first 256 KiB').waitFor()
    const before = await page.getByTestId('file-text').locator('.mgc-line').count()
    await page.getByRole('button', { name: /^Load more/ }).click()
    await extent.getByText('Showing the first 512 KiB').waitFor()
    assert.ok(await page.getByTestId('file-text').locator('.mgc-line').count() > before, 'more lines after "Load more"')
    // What is shown is the start of the file, in order, with nothing lost at the chunk boundary.
    const shown = (await page.getByTestId('file-text').locator('.mgc-line-text').allInnerTexts()).join('\n')
    const bytes = Buffer.from(await (await service.fetch(`/must-gather/${big.id}/files/${log.path}`, { headers: { Range: 'bytes=0-524287' } })).arrayBuffer())
    assert.ok(bytes.toString('utf8').startsWith(shown.slice(0, -1)), 'the viewer holds the first 512 KiB, in order')

    // "Show the end": the file's last lines, without reading what lies between.
    const whole = Buffer.from(await (await service.fetch(`/must-gather/${big.id}/files/${log.path}`)).arrayBuffer())
    await page.getByRole('button', { name: 'Show the end' }).click()
    await extent.getByText(/^Showing the last \d+ lines/).waitFor()
    const tail = (await page.getByTestId('file-text').locator('.mgc-line-text').allInnerTexts()).join('\n')
    assert.ok(tail.length > 100_000, 'a chunk of the end is shown')
    assert.ok(whole.toString('utf8').endsWith(`${tail}\n`) || whole.toString('utf8').endsWith(tail), 'the shown lines are the end of the file')
    assert.equal(await page.getByRole('button', { name: /^Load more/ }).count(), 0, 'nothing more to load at the end')
    await page.getByRole('button', { name: 'From the start' }).click()
    await extent.getByText('Showing the first 256 KiB').waitFor()

    // A search result far into the file opens around its line, numbered, without loading up to it.
    const lineStart = whole.indexOf(10, whole.length - 300_000) + 1
    const text = whole.subarray(lineStart, whole.indexOf(10, lineStart)).toString('utf8')
    const number = whole.subarray(0, lineStart).reduce((n, byte) => byte === 10 ? n + 1 : n, 1)
    const found = (await (await service.fetch(`/must-gather/${big.id}/search?q=${encodeURIComponent(text)}&path=${encodeURIComponent(log.path)}`)).text())
      .trim().split('\n').map((l) => JSON.parse(l)).find((m) => m.line === number)
    assert.ok(found !== undefined && found.offset === lineStart, 'search gives the line and where it starts')
    await page.getByRole('tab', { name: 'Search' }).click()
    await page.getByLabel('Search for').fill(text)
    await page.getByLabel('In files matching').fill(log.path)
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.getByTestId('search-status').getByText('Search complete').waitFor()
    await page.getByTestId('search-results').getByRole('button', { name: `Line ${number} ${log.path}, line ${number}`, exact: true }).click()
    const target = page.locator('.mgc-line-target')
    await target.waitFor()
    assert.equal(await target.getAttribute('data-line'), String(number))
    assert.equal(await target.locator('.mgc-line-text').innerText(), text)
    assert.match(await extent.innerText(), /^Showing lines \d+–\d+/)
    assert.ok(await page.getByTestId('file-text').locator('.mgc-line').count() < 10_000, 'only a window of the file is drawn')
  })

  it('the address keeps the tab, the folder, the file and its line: a reload returns there, Back goes to the previous view', async () => {
    const { page } = browser
    const yaml = await findEntry(service, later.id, (e) => e.type === 'file' && e.name.endsWith('.yaml') && e.size > 500)
    assert.ok(yaml !== undefined)
    const folder = yaml.path.slice(0, yaml.path.lastIndexOf('/'))
    await page.goto(`${service.url}/executions/${later.id}`)
    await page.getByRole('tab', { name: 'Files' }).click()
    assert.equal(new URL(page.url()).searchParams.get('tab'), 'files')
    for (const part of folder.split('/')) await page.getByTestId('file-list').getByRole('button', { name: `Open directory ${part}` }).click()
    await page.getByTestId('file-list').getByRole('button', { name: `View ${yaml.name}` }).click()
    await page.getByTestId('viewer-title').getByText(yaml.path).waitFor()
    assert.equal(new URL(page.url()).searchParams.get('file'), yaml.path)

    // A link to line 3 of the file, opened afresh: the viewer, the line marked.
    await page.goto(`${service.url}/executions/${later.id}?tab=files&file=${encodeURIComponent(yaml.path)}&line=3`)
    const target = page.locator('.mgc-line-target')
    await target.waitFor()
    assert.equal(await target.getAttribute('data-line'), '3')
    await page.reload()
    await page.locator('.mgc-line-target').waitFor()

    // Back: the file as it was opened by hand (no line), then its folder's list, then the folder above.
    await page.goBack()
    await page.getByTestId('viewer-title').getByText(yaml.path).waitFor()
    assert.equal(await page.locator('.mgc-line-target').count(), 0)
    await page.goBack()
    await page.getByTestId('file-list').locator(`tr[data-path="${yaml.path}"]`).waitFor()
    await page.goBack()
    const above = folder.includes('/') ? folder.slice(0, folder.lastIndexOf('/')) : ''
    await page.getByTestId('file-list').locator(`tr[data-path="${folder}"]`).waitFor()
    assert.equal(new URL(page.url()).searchParams.get('dir') ?? '', above)
    // An edited offset past the file's end: the file from its start, the line marked all the same.
    await page.goto(`${service.url}/executions/${later.id}?tab=files&file=${encodeURIComponent(yaml.path)}&line=3&offset=999999999`)
    await page.locator('.mgc-line-target[data-line="3"]').waitFor()
    // A folder named as a file: the service's reason.
    await page.goto(`${service.url}/executions/${later.id}?tab=files&file=${encodeURIComponent(folder)}`)
    await page.getByText('is a directory, not a regular file').waitFor()
    // A malformed address shows the summary.
    await page.goto(`${service.url}/executions/${later.id}?tab=nonsense&line=x`)
    assert.equal(await page.getByRole('tab', { name: 'Summary' }).getAttribute('aria-selected'), 'true')
  })

  it('a directory of more entries than a page pages', async () => {
    const { page } = browser
    const dir = await findBigDirectory(service, later.id, 25)
    assert.ok(dir !== undefined, 'the archive has a directory of more than 25 entries')
    await page.goto(`${service.url}/executions/${later.id}`)
    await page.getByRole('tab', { name: 'Files' }).click()
    await page.getByLabel('Entries per page').selectOption('25')
    for (const part of dir.path.split('/')) await page.getByTestId('file-list').getByRole('button', { name: `Open directory ${part}` }).click()
    const range = page.getByTestId('dir-range')
    await range.getByText(`1–25 of ${dir.total}`).waitFor()
    assert.equal(await page.getByTestId('file-list').locator('tbody tr').count(), 25)
    const second = (await service.json(`/must-gather/${later.id}/files?path=${encodeURIComponent(dir.path)}&offset=25&limit=25`)).body
    await page.getByRole('button', { name: 'Next page' }).click()
    await range.getByText(`26–${Math.min(50, dir.total)} of ${dir.total}`).waitFor()
    await page.getByTestId('file-list').locator(`tr[data-path="${second.entries[0].path}"]`).waitFor()
    assert.equal(await page.getByTestId('file-list').locator('tbody tr').count(), second.entries.length)
    await page.getByRole('button', { name: 'Previous page' }).click()
    await range.getByText(`1–25 of ${dir.total}`).waitFor()
  })

  it('a nested archive opens like a directory', async () => {
    const { page } = browser
    const inner = await findEntry(service, nested.id, (e) => e.archive === true)
    assert.ok(inner !== undefined, 'the archive scenario writes a must-gather.tar.gz inside')
    await page.goto(`${service.url}/executions/${nested.id}`)
    await page.getByRole('tab', { name: 'Files' }).click()
    for (const part of inner.path.split('/').slice(0, -1)) await page.getByTestId('file-list').getByRole('button', { name: `Open directory ${part}` }).click()
    const row = page.getByTestId('file-list').locator(`tr[data-path="${inner.path}"]`)
    assert.match(await row.innerText(), /archive/)
    await row.getByRole('button', { name: `Open directory ${inner.name}` }).click()
    const listing = (await service.json(`/must-gather/${nested.id}/files?path=${encodeURIComponent(inner.path)}`)).body
    assert.ok(listing.entries.length > 0)
    await page.getByTestId('file-list').locator(`tr[data-path="${listing.entries[0].path}"]`).waitFor()
    await page.getByTestId('path-crumbs').getByText(inner.name).waitFor()
  })

  it('search streams results, each opening its file at its line, and says whether it was complete', async () => {
    const { page } = browser
    await page.goto(`${service.url}/executions/${later.id}`)
    await page.getByRole('tab', { name: 'Search' }).click()
    await page.getByLabel('Search for').fill('kind: ClusterOperator')
    await page.getByLabel('In files matching').fill('*.yaml')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.getByTestId('search-status').getByText('Search complete').waitFor()
    const expected = (await (await service.fetch(`/must-gather/${later.id}/search?q=${encodeURIComponent('kind: ClusterOperator')}&path=*.yaml`)).text())
      .trim().split('\n').map((line) => JSON.parse(line))
    const matches = expected.filter((m) => !('complete' in m))
    assert.ok(matches.length > 0, 'the simulator writes ClusterOperators')
    assert.equal(await page.getByTestId('search-results').locator('.mgc-search-lines > li').count(), matches.length)
    assert.match(await page.getByTestId('search-status').innerText(), new RegExp(`${matches.length} match`))
    await accessible('the search results')
    await photograph('archive-search.png')

    // A result opens the viewer at that line, marked.
    const first = matches[0]
    await page.getByTestId('search-results').getByRole('button', { name: `Line ${first.line} ${first.file}, line ${first.line}`, exact: true }).click()
    await page.getByTestId('viewer-title').getByText(first.file).waitFor()
    const target = page.locator('.mgc-line-target')
    await target.waitFor()
    assert.equal(await target.getAttribute('data-line'), String(first.line))
    assert.equal(await target.locator('.mgc-line-text').innerText(), first.text)

    // A regular expression that matches every line stops at the result limit, and says so.
    await page.getByRole('tab', { name: 'Search' }).click()
    await page.getByLabel('Search for').fill('^')
    await page.getByLabel('In files matching').fill('')
    await page.getByLabel('Regular expression').check()
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    const status = page.getByTestId('search-status')
    await status.getByText('Search cut short').waitFor()
    assert.match(await status.innerText(), /max-results/)
    assert.equal(await page.getByTestId('search-results').locator('.mgc-search-lines > li').count(), 1000)

    // A bad regular expression: the service's 400, in its words.
    await page.getByLabel('Search for').fill('(')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.getByTestId('search-problem').getByText(/regular expression/).waitFor()

    // A glob that matches no file: the page says so, naming it, instead of "0 matches in every text file".
    await page.getByLabel('Regular expression').uncheck()
    await page.getByLabel('Search for').fill('kind')
    await page.getByLabel('In files matching').fill('*.nonexistent')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.getByTestId('search-no-files').waitFor()
    assert.equal(await page.getByTestId('search-status').innerText(), 'No text file matched *.nonexistent: nothing was searched.')
    // A glob the service cannot parse: its 400, at the glob's field.
    await page.getByLabel('In files matching').fill('[')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.getByTestId('search-problem').getByText(/invalid glob "\[": Missing closing/).waitFor()
    assert.match(await page.getByTestId('search-problem').innerText(), /refused \(path\)/)
    assert.equal(await page.getByLabel('In files matching').getAttribute('aria-invalid'), 'true')
  })

  it('the summary shows the cluster and its findings, each linking to its file', async () => {
    const { page } = browser
    const response = await service.json(`/must-gather/${later.id}/summary`)
    await page.goto(`${service.url}/executions/${later.id}`)
    assert.equal(response.status, 200, `GET /must-gather/${later.id}/summary answers ${response.status}: ${JSON.stringify(response.body)}`)
    const summary = response.body
    const shown = page.getByTestId('summary')
    await shown.waitFor()
    if (summary.cluster.version !== null) await shown.getByText(summary.cluster.version, { exact: false }).first().waitFor()
    if (summary.cluster.platform !== null) await shown.getByText(summary.cluster.platform, { exact: false }).first().waitFor()
    assert.equal(await page.getByTestId('problem-pods').locator('tbody tr').count(), summary.pods.problems.length)
    // Each badge counts what its heading names, or says in words what it counts: a pod has a row per
    // container with a problem, and warning events are listed in groups.
    const badge = async (section: string): Promise<string> => await shown.getByRole('region', { name: section, exact: true }).getByTestId('findings-badge').innerText()
    const podProblems = summary.pods.problems.length + summary.pods['problems-omitted']
    const podsListed = new Set(summary.pods.problems.map((p: any) => `${p.namespace}/${p.pod}`)).size
    assert.ok(podProblems > podsListed, 'the simulated cluster has a pod with more than one problem row')
    assert.match(await badge('Pods'), new RegExp(`^${podProblems} problems in ${summary.pods['problems-omitted'] > 0 ? 'at least ' : ''}${podsListed} pods?$`))
    const events = summary['warning-events']
    assert.ok(events.events !== events.groups.length + events['groups-omitted'], 'the simulated cluster has more warning events than groups')
    assert.equal(await badge('Warning events'), `${events.events} events`)
    assert.match(await shown.getByRole('region', { name: 'Warning events', exact: true }).getByTestId('findings-total').innerText(),
      new RegExp(`^${events.events} warning events .*, in ${events.groups.length + events['groups-omitted']} groups by reason and object`))
    assert.equal(await badge('Cluster operators'), `${summary['cluster-operators'].problems.length} with problems`)
    assert.equal(await badge('Nodes'), `${summary.nodes.problems.length} with problems`)
    // Source paths wrap between names (after a slash, or at a hyphen inside a long name), never inside one.
    const links = shown.locator('.mgc-file-link')
    let wrapped = 0
    for (let i = 0; i < await links.count(); i++) {
      const breaks = await charsBeforeLineBreaks(links.nth(i))
      wrapped += breaks.length
      for (const char of breaks) assert.match(char, /[/-]/, `"${await links.nth(i).innerText()}" wraps after "${char}"`)
    }
    assert.ok(wrapped > 0, 'some source path is long enough to wrap')
    for (const section of Object.keys(summary.coverage.sections)) await page.getByTestId('coverage').getByText(section).first().waitFor()
    await accessible('the summary')
    await photograph('archive-summary.png')

    // A finding's source opens in the viewer.
    const finding = summary['cluster-operators'].problems[0] ?? summary.pods.problems[0] ?? summary['warning-events'].groups[0]
    assert.ok(finding !== undefined, 'the simulated cluster has at least one finding')
    await shown.getByRole('button', { name: finding.source }).first().click()
    await page.getByTestId('viewer-title').getByText(finding.source).waitFor()
  })

  it('compares with another run of the same name', async () => {
    const { page } = browser
    await page.goto(`${service.url}/executions/${later.id}`)
    await page.getByRole('tab', { name: 'Compare' }).click()
    const select = page.getByLabel('Compare with', { exact: true })
    await select.waitFor()
    // Same name by default: only the other "nightly" run is offered.
    assert.deepEqual(await select.locator('option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value)), [String(earlier.id)])
    await page.getByLabel('Any completed execution').check()
    await select.locator(`option[value="${big.id}"]`).waitFor({ state: 'attached' })
    await page.getByLabel('Named "nightly"').check()
    await select.locator(`option[value="${big.id}"]`).waitFor({ state: 'detached' })
    await accessible('the compare form')
    const response = await service.json(`/must-gather/${later.id}/compare/${earlier.id}`)
    await page.getByRole('button', { name: 'Compare', exact: true }).click()
    assert.equal(response.status, 200, `GET /must-gather/${later.id}/compare/${earlier.id} answers ${response.status}: ${JSON.stringify(response.body)}`)
    const shown = page.getByTestId('comparison')
    await shown.getByText(`From #${earlier.id} to #${later.id}`).waitFor()
    // What the page lists is what the API says changed (two runs of the simulator's one cluster: usually nothing).
    const c = response.body
    const changes = [c.operators['became-unhealthy'], c.operators.recovered, c.pods['started-crash-looping'], c.pods['new-problems'], c['warning-reasons'].new].flat().length
    if (changes === 0) await shown.getByTestId('no-changes').waitFor()
    else assert.equal(await shown.getByTestId('no-changes').count(), 0)
    if (c.version !== null) await shown.getByText(`Version: ${c.version.earlier ?? 'not known'} → ${c.version.later ?? 'not known'}`).waitFor()
    await accessible('the comparison')
    await photograph('archive-compare.png')
  })

  it('compares forwards in time whichever run it is opened from, and bounds long lists', async () => {
    const { page } = browser
    const asked: string[] = []
    page.on('request', (request) => { if (request.url().includes('/compare/')) asked.push(new URL(request.url()).pathname) })
    // From the earlier run's page: the only other "nightly" is the later one, and the result still reads forwards.
    await page.goto(`${service.url}/executions/${earlier.id}`)
    await page.getByRole('tab', { name: 'Compare' }).click()
    const select = page.getByLabel('Compare with', { exact: true })
    await select.waitFor()
    assert.equal(await select.inputValue(), String(later.id))
    await page.getByRole('button', { name: 'Compare', exact: true }).click()
    const shown = page.getByTestId('comparison')
    await shown.getByText(`From #${earlier.id} to #${later.id}`).waitFor()
    assert.deepEqual(asked, [`/must-gather/${later.id}/compare/${earlier.id}`])

    // Of every pair of these runs, one whose comparison has a section of more than 50 entries.
    const runs = [earlier, later, big, nested]
    let long: { from: any, to: any, count: number } | undefined
    for (const to of runs.slice(1)) {
      for (const from of runs.filter((r) => r.id < to.id)) {
        const c = (await service.json(`/must-gather/${to.id}/compare/${from.id}`)).body
        const count = c.pods['new-problems'].length
        if (count > 50 && (long === undefined || count > long.count)) long = { from, to, count }
      }
    }
    assert.ok(long !== undefined, 'two simulator runs differ in more than 50 pods')
    await page.goto(`${service.url}/executions/${long.to.id}`)
    await page.getByRole('tab', { name: 'Compare' }).click()
    await page.getByLabel('Any completed execution').check()
    await select.locator(`option[value="${long.from.id}"]`).waitFor({ state: 'attached' })
    await select.selectOption(String(long.from.id))
    await page.getByRole('button', { name: 'Compare', exact: true }).click()
    await shown.getByText(`From #${long.from.id} to #${long.to.id}`).waitFor()
    const section = shown.getByRole('region', { name: 'Pods with new problems' })
    assert.equal(await section.getByRole('listitem').count(), 50)
    await accessible('a long comparison')
    await section.getByRole('button', { name: `Show all ${long.count} pods with new problems` }).click()
    await section.getByRole('listitem').nth(long.count - 1).waitFor()
    assert.equal(await section.getByRole('listitem').count(), long.count)
    assert.equal(await section.getByTestId('show-all').count(), 0)
  })

  it('on a narrow screen (390 px) the archive\'s download button and a long path\'s breadcrumb wrap instead of running off it', async () => {
    const { page } = browser
    const width = 390
    /** The element lies inside the screen's width and shows all its text (nothing cut by overflow). */
    const onScreen = async (element: Locator, what: string): Promise<void> => {
      const box = await element.boundingBox()
      assert.ok(box !== null, `${what} is shown`)
      assert.ok(box.x >= 0 && box.x + box.width <= width, `${what} lies within the screen: x ${box.x}, width ${box.width}`)
      assert.ok(await element.evaluate((node: any) => node.scrollWidth <= node.clientWidth), `${what} shows all its text`)
    }
    await page.setViewportSize({ width, height: 844 })
    try {
      await page.goto(`${service.url}/executions/${later.id}`)
      await onScreen(page.getByTestId('download'), 'the download button')
      await page.getByRole('tab', { name: 'Files' }).click()
      // The image's directory has the longest name (quay-io-…-sha256-<64 hex digits>); down to a file two levels under it.
      const deep = await findEntry(service, later.id, (e) => e.type === 'file' && e.path.split('/').length >= 5 && e.path.length > 120)
      assert.ok(deep !== undefined, 'the archive has a file deep under the image\'s directory')
      const parts = deep.path.split('/')
      for (const part of parts.slice(0, -1)) await page.getByTestId('file-list').getByRole('button', { name: `Open directory ${part}` }).click()
      await page.getByTestId('file-list').getByRole('button', { name: `View ${parts.at(-1) as string}` }).click()
      await page.getByTestId('viewer-title').getByText(deep.path).waitFor()
      const crumbs = page.getByTestId('path-crumbs').getByRole('listitem')
      assert.equal(await crumbs.count(), parts.length + 1)
      for (let i = 0; i < parts.length + 1; i++) await onScreen(crumbs.nth(i), `crumb ${i} (${i === 0 ? 'archive' : parts[i - 1] as string})`)
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 })
    }
  })

  it('opening a folder or a file from far down a listing brings the path and the heading into sight', async () => {
    const { page } = browser
    // The directory (through the API) listing a folder of its own furthest down.
    let dir = ''
    let listing: Entry[] = []
    let row = -1
    for (const queue = ['']; queue.length > 0;) {
      const path = queue.shift() as string
      const entries = (await service.json<{ entries: Entry[] }>(`/must-gather/${later.id}/files?path=${encodeURIComponent(path)}&limit=100`)).body.entries
      const last = entries.findLastIndex((e) => e.type === 'directory')
      if (last > row) [dir, listing, row] = [path, entries, last]
      for (const entry of entries) if (entry.type === 'directory') queue.push(entry.path)
    }
    assert.ok(row >= 5, `the archive has a directory listing a folder at row 5 or later (furthest: ${row})`)
    // A short window: the listing's bottom row and its path are never in sight together.
    const height = 400
    await page.setViewportSize({ width: 1400, height })
    const inSight = async (what: string, heading: string): Promise<void> => {
      for (const [name, testId] of [['the path', 'path-crumbs'], [what, heading]] as Array<[string, string]>) {
        const box = await page.getByTestId(testId).boundingBox()
        assert.ok(box !== null && box.y >= 0 && box.y < height, `${name} is in sight after opening ${what}: y ${box?.y}`)
      }
    }
    const openFromTheBottom = async (entry: Entry): Promise<void> => {
      await page.goto(`${service.url}/executions/${later.id}`)
      await page.getByRole('tab', { name: 'Files' }).click()
      for (const part of dir === '' ? [] : dir.split('/')) await page.getByTestId('file-list').getByRole('button', { name: `Open directory ${part}`, exact: true }).click()
      const row = page.getByTestId('file-list').locator(`tr[data-path="${entry.path}"]`)
      await row.scrollIntoViewIfNeeded()
      assert.ok((await page.getByTestId('path-crumbs').boundingBox() as { y: number }).y < 0, 'the path is out of sight at the bottom of the listing')
      await row.getByRole('button', { name: new RegExp(`^(View|Open directory) ${entry.name}$`) }).click()
    }
    try {
      const folder = listing[row] as Entry
      await openFromTheBottom(folder)
      await page.getByTestId('path-crumbs').getByText(folder.name).waitFor()
      await page.getByTestId('file-list').locator('tbody tr').first().waitFor()
      await inSight(`the folder ${folder.name}`, 'file-list')
      const file = listing.findLast((e) => e.type === 'file')
      if (file !== undefined && listing.indexOf(file) >= 5) {
        await openFromTheBottom(file)
        await page.locator('[data-testid="file-text"], [data-testid="binary-file"]').first().waitFor()
        await inSight(`the file ${file.name}`, 'viewer-title')
      }
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 })
    }
  })

  it('keyboard only: the Files tab, a directory and a file, each by Enter', async () => {
    const { page } = browser
    await page.goto(`${service.url}/executions/${later.id}`)
    // PatternFly's tabs are buttons in the tab order: Tab to the next, Enter to open it.
    await page.getByRole('tab', { name: 'Summary' }).focus()
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Files')
    const first = page.getByTestId('file-list').getByRole('button', { name: /^Open directory / }).first()
    await first.waitFor()
    await first.focus()
    await page.keyboard.press('Enter')
    await page.getByTestId('path-crumbs').getByRole('button', { name: 'archive' }).waitFor()
    const view = page.getByTestId('file-list').getByRole('button', { name: /^View / }).first()
    await view.focus()
    await page.keyboard.press('Enter')
    // The viewer's heading takes the focus; the text region is the next stop for the keyboard.
    await page.getByTestId('file-text').waitFor()
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'viewer-title')
  })
})
