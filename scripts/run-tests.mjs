#!/usr/bin/env node
// Runs every test file under test/ with node's test runner through tsx.
// Node 20's `node --test` does not expand globs, so the files are listed here.
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
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
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files], { stdio: 'inherit', env })
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
