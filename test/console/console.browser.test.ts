import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { type Browser, browserSkipReason, openBrowser, SCREENSHOTS, seriousAxeViolations } from '../helpers/browser.js'
import { type RunningService, SIM_IMAGE, startService, stopAndClean, waitFor, waitForFinish } from '../helpers/service.js'

/**
 * The console in a real Chromium against the real service (AUTH_MODE=none)
 * with the oc simulator: every page is used as a person would, scanned by
 * axe-core, checked for Content-Security-Policy refusals, and photographed
 * into docs/screenshots/.
 */
// The page's globals, inside page.evaluate callbacks (the tests' own lib has no DOM).
declare const document: { activeElement: { id: string, textContent: string | null } | null, documentElement: { classList: { contains: (name: string) => boolean } } }

const skip = browserSkipReason()
if (skip !== undefined) console.error(`SKIPPED: console browser tests: ${skip}`)

describe('web console (AUTH_MODE=none)', { skip }, () => {
  let service: RunningService
  let browser: Browser

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    service = await startService({ env: { MAX_CONCURRENT: '8' } })
    browser = await openBrowser()
  })
  after(async () => {
    await browser?.close()
    if (service !== undefined) await stopAndClean(service)
  })

  const accessible = async (what: string): Promise<void> => {
    assert.deepEqual(await seriousAxeViolations(browser.page), [], `axe-core on ${what}`)
    assert.deepEqual(browser.problems, [], `no page errors or CSP refusals on ${what}`)
  }

  it('the executions page lists executions and shows a new one, and its change, without a reload', async () => {
    const { page } = browser
    const done = (await service.post({ image: `${SIM_IMAGE}:latest`, 'custom-name': 'plan:plan1' })).body
    const failed = (await service.post({ image: `${SIM_IMAGE}:fail` })).body
    await waitForFinish(service, done.id)
    await waitForFinish(service, failed.id)
    await page.goto(service.url)
    await page.locator(`tr[data-id="${done.id}"]`).getByText('Completed', { exact: true }).waitFor()
    await page.locator(`tr[data-id="${failed.id}"]`).getByText('Failed', { exact: true }).waitFor()
    assert.match(await page.locator(`tr[data-id="${done.id}"]`).innerText(), /plan:plan1[\s\S]*done[\s\S]*simulator:latest[\s\S]*KiB/)

    // Created behind the page's back: it appears, running, then completed, with no reload.
    const slow = (await service.post({ image: `${SIM_IMAGE}:slow-2`, 'custom-name': 'appears-by-itself' })).body
    await page.locator(`tr[data-id="${slow.id}"]`).getByText('Running', { exact: true }).waitFor()
    await page.locator(`tr[data-id="${slow.id}"]`).getByText('Completed', { exact: true }).waitFor()

    // Filters: status, then the exact custom name.
    await page.getByLabel('Filter by status').selectOption('error')
    await page.locator(`tr[data-id="${done.id}"]`).waitFor({ state: 'detached' })
    await page.locator(`tr[data-id="${failed.id}"]`).waitFor()
    // The filter is in the address: a reload keeps it, and so does Back from an execution.
    assert.equal(new URL(page.url()).searchParams.get('status'), 'error')
    await page.reload()
    await page.locator(`tr[data-id="${failed.id}"]`).waitFor()
    assert.equal(await page.getByLabel('Filter by status').inputValue(), 'error')
    assert.equal(await page.locator(`tr[data-id="${done.id}"]`).count(), 0)
    await page.locator(`tr[data-id="${failed.id}"] a`).first().click()
    await page.getByRole('heading', { name: `Execution #${failed.id}` }).waitFor()
    await page.goBack()
    await page.locator(`tr[data-id="${failed.id}"]`).waitFor()
    assert.equal(await page.getByLabel('Filter by status').inputValue(), 'error')
    assert.equal(await page.locator(`tr[data-id="${done.id}"]`).count(), 0)
    await page.getByLabel('Filter by status').selectOption('')
    await page.getByLabel('Filter by custom name (exact)').fill('plan:plan1')
    await page.getByLabel('Filter by custom name (exact)').press('Enter')
    await page.locator(`tr[data-id="${failed.id}"]`).waitFor({ state: 'detached' })
    await page.locator(`tr[data-id="${done.id}"]`).waitFor()
    await page.getByLabel('Filter by custom name (exact)').fill('')
    await page.getByLabel('Filter by custom name (exact)').press('Enter')
    await page.locator(`tr[data-id="${failed.id}"]`).waitFor()
    await accessible('the executions page')
    await page.screenshot({ path: join(SCREENSHOTS, 'executions.png') })
  })

  it('pages through the executions, 20 at a time', async () => {
    const { page } = browser
    const before = (await service.json<any[]>('/must-gather')).body.length
    for (let i = before; i < 23; i++) await service.post({ image: `${SIM_IMAGE}:latest`, 'custom-name': `page-${i}` })
    const all = (await service.json<any[]>('/must-gather')).body
    await page.goto(service.url)
    await page.getByLabel('Executions per page').selectOption('20')
    await page.getByTestId('page-range').getByText('1–20').waitFor()
    assert.equal(await page.locator('tbody tr').count(), 20)
    await page.getByRole('button', { name: 'Next page' }).click()
    await page.getByTestId('page-range').getByText(`21–${all.length}`).waitFor()
    assert.equal(await page.locator(`tr[data-id="${all[all.length - 1].id}"]`).count(), 1, 'the oldest is on the last page')
    assert.ok(await page.getByRole('button', { name: 'Next page' }).isDisabled())
    await page.getByRole('button', { name: 'Previous page' }).click()
    await page.getByTestId('page-range').getByText('1–20').waitFor()
  })

  it('a gather started from the form runs to completed, its output appears while it runs, and the download matches the sha256', async () => {
    const { page } = browser
    await page.goto(service.url)
    await page.getByRole('link', { name: 'New must-gather' }).click()
    await page.getByRole('heading', { name: 'New must-gather' }).waitFor()
    // Help texts come from the API description.
    await page.locator('#field-timeout-help').getByText('Go duration').waitFor()
    await page.getByLabel('Image(s)').fill(`${SIM_IMAGE}:slow-4_lines-60`)
    await page.getByLabel('Timeout').fill('5m')
    await page.getByLabel('Custom name').fill('from-the-form')
    await accessible('the form')
    await page.screenshot({ path: join(SCREENSHOTS, 'new.png') })
    await page.getByRole('button', { name: 'Start must-gather' }).click()

    await page.waitForURL(/\/executions\/\d+$/)
    const id = Number(/(\d+)$/.exec(page.url())?.[1])
    const created = (await service.json(`/must-gather/${id}`)).body
    assert.equal(created['custom-name'], 'from-the-form')
    assert.equal(created.timeout, '5m')
    assert.equal(created.image, `${SIM_IMAGE}:slow-4_lines-60`)

    // Output lines while it runs: seen on the page while the API still says inprogress.
    const output = page.getByTestId('output')
    await waitFor(async () => {
      const text = await output.innerText()
      if (!text.includes('POD')) return false
      return (await service.json(`/must-gather/${id}`)).body.status === 'inprogress'
    }, 'POD lines on the page while the execution runs')
    await accessible('a running execution')

    await page.getByTestId('download').getByText('Download must-gather-from-the-form.tar.gz').waitFor({ timeout: 60_000 })
    assert.equal(await page.getByTestId('archive-incomplete').count(), 0, 'a completed run\'s archive is not called incomplete')
    const finished = await waitForFinish(service, id)
    assert.equal(finished.status, 'completed')
    assert.equal(await page.getByTestId('phase').innerText(), 'done')
    const shown = await page.getByLabel('SHA-256 of the archive').inputValue()
    assert.equal(shown, finished['archive-sha256'])
    assert.match(await output.innerText(), /Gathering data for/)
    await accessible('a completed execution')
    await page.screenshot({ path: join(SCREENSHOTS, 'execution.png') })

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download').click()
    ])
    assert.equal(download.suggestedFilename(), 'must-gather-from-the-form.tar.gz')
    const saved = join(service.dir, 'downloaded.tar.gz')
    await download.saveAs(saved)
    assert.equal(createHash('sha256').update(readFileSync(saved)).digest('hex'), finished['archive-sha256'])
  })

  it('a bad field shows the server\'s error at that field; the field is fixed and the form sent again', async () => {
    const { page } = browser
    const count = (await service.json<any[]>('/must-gather')).body.length
    await page.goto(`${service.url}/new`)
    await page.getByRole('button', { name: 'Advanced options' }).click()
    await page.getByLabel('Node name').fill('worker/0')
    await page.getByRole('button', { name: 'Start must-gather' }).click()
    const error = page.locator('#field-node-name-error')
    await error.waitFor()
    assert.match(await error.innerText(), /node-name may not contain '\/' or '%'/)
    assert.equal(await page.getByLabel('Node name').getAttribute('aria-invalid'), 'true')
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'field-node-name', 'the field to fix has the focus')
    await accessible('the form with an error')
    await page.screenshot({ path: join(SCREENSHOTS, 'new-error.png') })
    assert.equal((await service.json<any[]>('/must-gather')).body.length, count, 'nothing was queued')

    await page.getByLabel('Timeout').fill('forever')
    await page.getByLabel('Node name').fill('')
    await page.getByRole('button', { name: 'Start must-gather' }).click()
    await page.locator('#field-timeout-error').waitFor()
    assert.equal(await page.locator('#field-node-name-error').count(), 0, 'the old error is gone')
  })

  it('pressing submit twice creates one execution', async () => {
    const { page } = browser
    const count = (await service.json<any[]>('/must-gather')).body.length
    await page.goto(`${service.url}/new`)
    await page.getByLabel('Image(s)').fill(`${SIM_IMAGE}:latest`)
    await page.getByLabel('Custom name').fill('submitted-twice')
    // Twice in the same task, before React can re-render and disable the button.
    await page.locator('form[aria-label="New must-gather"]').evaluate((form) => {
      const submit = (form as unknown as { requestSubmit: () => void }).requestSubmit.bind(form)
      submit()
      submit()
    })
    await page.waitForURL(/\/executions\/\d+$/)
    // And a double click.
    await page.goto(`${service.url}/new`)
    await page.getByLabel('Custom name').fill('double-clicked')
    await page.getByRole('button', { name: 'Start must-gather' }).dblclick()
    await page.waitForURL(/\/executions\/\d+$/)
    const list = (await service.json<any[]>('/must-gather')).body
    assert.equal(list.length, count + 2)
    assert.equal(list.filter((e) => e['custom-name'] === 'submitted-twice').length, 1)
    assert.equal(list.filter((e) => e['custom-name'] === 'double-clicked').length, 1)
  })

  it('a slow run can be cancelled, after a confirmation', async () => {
    const { page } = browser
    const slow = (await service.post({ image: `${SIM_IMAGE}:slow-120`, 'custom-name': 'too-slow' })).body
    await page.goto(`${service.url}/executions/${slow.id}`)
    await page.getByText('Running').first().waitFor()
    await page.getByRole('button', { name: 'Cancel', exact: true }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByText('Cancel this execution?').waitFor()
    await accessible('the cancel confirmation')
    await page.screenshot({ path: join(SCREENSHOTS, 'cancel.png') })
    // Keeping it changes nothing.
    await dialog.getByRole('button', { name: 'Keep it' }).click()
    assert.equal((await service.json(`/must-gather/${slow.id}`)).body.status, 'inprogress')
    await page.getByRole('button', { name: 'Cancel', exact: true }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel execution' }).click()
    await page.waitForURL(`${service.url}/`)
    assert.equal((await service.json(`/must-gather/${slow.id}`)).status, 404)
    await page.getByRole('heading', { name: 'Executions', exact: true }).waitFor()
    assert.equal(await page.locator(`tr[data-id="${slow.id}"]`).count(), 0)
  })

  it('a finished execution can be deleted; a failed one shows its error message', async () => {
    const { page } = browser
    const failed = (await service.post({ image: `${SIM_IMAGE}:fail` })).body
    await waitForFinish(service, failed.id)
    await page.goto(`${service.url}/executions/${failed.id}`)
    await page.getByTestId('error-message').waitFor()
    assert.match(await page.getByTestId('error-message').innerText(), /exit|fail|error/i)
    // What the fall-back inspect gathered is packed, but it is not a complete must-gather: the page says so by the download.
    assert.notEqual((await service.json(`/must-gather/${failed.id}`)).body['archive-name'], '', 'the failed run still has an archive')
    await page.getByTestId('download').waitFor()
    assert.match(await page.getByTestId('archive-incomplete').innerText(), /may be incomplete[\s\S]*only what was gathered before it failed/)
    await accessible('a failed execution with an archive')
    await page.getByRole('button', { name: 'Delete', exact: true }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click()
    await page.waitForURL(`${service.url}/`)
    assert.equal((await service.json(`/must-gather/${failed.id}`)).status, 404)
  })

  it('follows the end of the output until the person scrolls up', async () => {
    const { page } = browser
    const long = (await service.post({ image: `${SIM_IMAGE}:slow-6_lines-400` })).body
    await page.goto(`${service.url}/executions/${long.id}`)
    const output = page.getByTestId('output')
    const atEnd = async (): Promise<boolean> => output.evaluate((pre) => pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8)
    await waitFor(async () => (await output.evaluate((pre) => pre.scrollHeight > pre.clientHeight * 2)) && await atEnd(), 'output taller than its box, shown at the end')
    await output.evaluate((pre) => { pre.scrollTop = 0 })
    await waitFor(async () => (await output.getAttribute('data-following')) === 'false', 'following to stop')
    const length = (await output.innerText()).length
    await waitFor(async () => (await output.innerText()).length > length, 'more output')
    assert.equal(await output.evaluate((pre) => pre.scrollTop), 0, 'the view stayed where the person put it')
    await page.getByRole('button', { name: 'Jump to the end' }).click()
    await waitFor(atEnd, 'back at the end')
    await waitForFinish(service, long.id)
  })

  it('keyboard only: from the list to an execution and to the form', async () => {
    const { page } = browser
    await page.goto(service.url)
    await page.locator('tbody tr').first().waitFor()
    // The skip link comes first, then the controls in order.
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content')
    const first = page.locator('tbody tr a').first()
    await first.focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/executions\/\d+$/)
    await page.goto(service.url)
    await page.getByRole('link', { name: 'New must-gather' }).focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/new$/)
    await page.getByLabel('Image(s)').waitFor()
  })

  it('a redacted execution says so by its archive, with its counts, and its report downloads', async () => {
    const { page } = browser
    const { body } = await service.post({ image: `${SIM_IMAGE}:latest`, redact: true })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    assert.ok(done['redaction-counts'].IP > 0, 'the simulator tree holds addresses')
    await page.goto(`${service.url}/executions/${done.id}`)
    const said = page.getByTestId('archive-redaction')
    await said.waitFor()
    assert.match(await said.innerText(), new RegExp(`IP ${done['redaction-counts'].IP.toLocaleString('en-US')}`))
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('redaction-report').click()])
    assert.equal(download.suggestedFilename(), `redaction-report-${done.id}.json`)
    const saved = JSON.parse(readFileSync(await download.path(), 'utf8'))
    assert.deepEqual(saved, (await service.json(`/must-gather/${done.id}/redaction-report`)).body)
    // An execution that was not redacted has no such row.
    const plain = await waitForFinish(service, (await service.post({ image: `${SIM_IMAGE}:latest` })).body.id)
    await page.goto(`${service.url}/executions/${plain.id}`)
    await page.getByTestId('download').waitFor()
    assert.equal(await page.getByTestId('archive-redaction').count(), 0)
  })

  it('dark theme follows the system', async () => {
    const dark = await openBrowser({ colorScheme: 'dark' })
    try {
      await dark.page.goto(service.url)
      await dark.page.locator('tbody tr').first().waitFor()
      assert.equal(await dark.page.evaluate(() => document.documentElement.classList.contains('pf-v6-theme-dark')), true)
      assert.deepEqual(await seriousAxeViolations(dark.page), [], 'axe-core on the dark executions page')
      await dark.page.screenshot({ path: join(SCREENSHOTS, 'executions-dark.png') })
    } finally {
      await dark.close()
    }
    assert.equal(await browser.page.evaluate(() => document.documentElement.classList.contains('pf-v6-theme-dark')), false)
  })
})
