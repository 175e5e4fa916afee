#!/usr/bin/env node
// Runs every test file under test/ with node's test runner through tsx.
// Node 20's `node --test` does not expand globs, so the files are listed here.
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/**
 * @param {string} dir
 * @returns {string[]}
 */
function findTests (dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return findTests(path)
    return entry.name.endsWith('.test.ts') ? [path] : []
  })
}

const filters = process.argv.slice(2)
const files = findTests('test').filter((file) => filters.length === 0 || filters.some((f) => file.includes(f))).sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
// The deploy tests build deploy/ with `kubectl kustomize` (kustomize v5): find or install one,
// so that `npm test` works on a fresh machine as the README promises.
const env = { ...process.env }
if (env.KUBECTL === undefined && files.some((file) => file.startsWith(join('test', 'deploy')))) {
  env.KUBECTL = execFileSync('bash', [join('test', 'deploy', 'ensure-kubectl.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()
}
// The console's tests drive a real Chromium against the built console: find or install the browser,
// and build the console when web/ changed since the last build.
if (files.some((file) => file.startsWith(join('test', 'console')))) {
  const browser = execFileSync('bash', [join('scripts', 'ensure-chromium.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()
  if (browser === '') {
    const line = '!'.repeat(78)
    console.error(`${line}\n!! SKIPPED: the console's browser tests (test/console/*.browser.test.ts) need chromium.\n` +
      `!! Install it (apt-get install chromium) or run npm test as root, which installs it.\n${line}`)
    env.CONSOLE_BROWSER_SKIPPED = 'chromium is missing and could not be installed (see above)'
  } else {
    env.CHROMIUM_PATH = browser
  }
}
// A service started by a test serves the console at /: build it when it is missing or stale, for
// every test that starts one (security.http asks for /, the MCP and route tests start the service).
const startsService = ['console', 'routes', 'mcp', 'reliability'].map((dir) => join('test', dir))
if (files.some((file) => startsService.some((dir) => file.startsWith(dir))) && consoleBuildIsStale()) {
  console.error('Building the console (web/ changed since dist/console was built)…')
  execFileSync(process.execPath, [join('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join('web', 'vite.config.ts'), '--logLevel', 'warn'], { stdio: 'inherit' })
}

/** Whether dist/console is missing or older than anything under web/. */
function consoleBuildIsStale () {
  let built
  try { built = statSync(join('dist', 'console', 'index.html')).mtimeMs } catch { return true }
  /** @param {string} dir @returns {number} */
  const newest = (dir) => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? newest(path) : statSync(path).mtimeMs
  }))
  return newest('web') > built || statSync('package-lock.json').mtimeMs > built
}

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files], { stdio: 'inherit', env })
child.on('exit', (code, signal) => {
  // Said again at the end, where it is seen.
  if (env.CONSOLE_BROWSER_SKIPPED !== undefined) console.error(`\n!! SKIPPED the console's browser tests: ${env.CONSOLE_BROWSER_SKIPPED}\n`)
  process.exit(code ?? (signal ? 1 : 0))
})
