import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { type Browser, browserSkipReason, openBrowser, seriousAxeViolations } from '../helpers/browser.js'
import { FakeKubeApi } from '../helpers/kube-api.js'
import { removeDir, type RunningService, SIM_IMAGE, startService, stopAndClean, waitFor } from '../helpers/service.js'

/**
 * The archive views in AUTH_MODE=kubernetes with a pasted token: every call
 * they make (summary, directory pages, Range reads, the streamed search, a
 * file's download) carries the token from sessionStorage, or the service
 * would refuse it.
 */
const skip = browserSkipReason()
const api = new FakeKubeApi()
const ADMIN = 'sha256~InsightAdminTokenInsightAdmin00001'

describe('web console: inside the archive (AUTH_MODE=kubernetes, signed in with a token)', { skip }, () => {
  let service: RunningService
  let browser: Browser
  let id: number
  const auth = { Authorization: `Bearer ${ADMIN}` }

  before(async () => {
    await api.start()
    api.users.set(ADMIN, { username: 'kube:admin', uid: 'u-admin', groups: ['system:cluster-admins'], admin: true })
    const probe = await startService()
    const kubeconfig = api.writeKubeconfig(probe.dir)
    await probe.stop()
    removeDir(join(probe.dir, 'gatherings'))
    removeDir(join(probe.dir, 'gatherings.db'))
    service = await startService({ dir: probe.dir, env: { AUTH_MODE: 'kubernetes', KUBECONFIG: kubeconfig, CREDENTIALS_DIR: join(probe.dir, 'credentials') } })
    const created = await service.json('/must-gather', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ image: `${SIM_IMAGE}:latest`, 'custom-name': 'signed-in' })
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    id = created.body.id
    await waitFor(async () => (await service.json(`/must-gather/${id}`, { headers: auth })).body.status === 'completed', 'the run to complete', 30_000)
    browser = await openBrowser()
  })
  after(async () => {
    await browser?.close()
    if (service !== undefined) await stopAndClean(service)
    await api.stop()
  })

  it('summary, files, a Range read, the streamed search and a download all carry the token', async () => {
    const { page } = browser
    assert.equal((await service.json(`/must-gather/${id}/files?path=`)).status, 401, 'without the token the service refuses')
    await page.goto(`${service.url}/executions/${id}`)
    await page.getByLabel('Token').fill(ADMIN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByTestId('archive-insight').waitFor()

    const summary = (await service.json(`/must-gather/${id}/summary`, { headers: auth }))
    assert.equal(summary.status, 200)
    await page.getByTestId('summary').waitFor()

    await page.getByRole('tab', { name: 'Search' }).click()
    await page.getByLabel('Search for').fill('Gathering data for')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.getByTestId('search-status').getByText('Search complete').waitFor()
    const group = page.getByTestId('search-results').locator('.mgc-search-file').first()
    const file = await group.getByRole('button').first().innerText()
    const line = (await group.locator('.mgc-search-lines button').first().innerText()).replace('Line ', '')
    await group.locator('.mgc-search-lines button').first().click()
    assert.equal(await page.locator('.mgc-line-target').getAttribute('data-line'), line)
    assert.deepEqual(await seriousAxeViolations(page), [], 'axe-core on the viewer, signed in')

    // The download is fetched with the token and handed over as a blob: its bytes are the file's.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('file-download').click()])
    const saved = join(service.dir, 'viewed-file')
    await download.saveAs(saved)
    const expected = Buffer.from(await (await service.fetch(`/must-gather/${id}/files/${file}`, { headers: auth })).arrayBuffer())
    assert.ok(readFileSync(saved).equals(expected), 'the downloaded file is the archive\'s')
    assert.deepEqual(browser.problems, [])
  })
})
