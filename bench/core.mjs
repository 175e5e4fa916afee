#!/usr/bin/env node
// @ts-check
// Figures for the core service, measured against the real service process
// with the oc simulator: time from POST to `completed` for a 20,000-line /
// 200 MB gather, and the service's resident memory after 100 executions.
// Prints figures; asserts nothing (timings belong here, not in tests).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const IMAGE = 'quay.io/must-gather-service/simulator'

/** @param {number} pid */
function rssMiB (pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0) / 1024
}

/** @param {number} pid */
function cpuSeconds (pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime + stime, in clock ticks (100/s)
}

async function start () {
  const dir = mkdtempSync(join(tmpdir(), 'mgs-bench-'))
  const child = spawn(process.execPath, [join(root, 'dist', 'server.js')], {
    env: { PATH: process.env.PATH, HOME: dir, PORT: '0', HOST: '127.0.0.1', DB_PATH: join(dir, 'db.sqlite'), DATA_DIR: join(dir, 'data'), OC_PATH: join(root, 'simulator', 'oc'), AUTH_MODE: 'none', LOG_LEVEL: 'info', MAX_CONCURRENT: '4', MAX_QUEUED: '1000' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  const url = await new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      out += chunk
      const match = /listening on (https?:\/\/[^\s"]+)/.exec(out)
      if (match) resolve(match[1])
    })
    child.once('exit', (code) => reject(new Error(`service exited ${code}`)))
  })
  return { url, child, dir }
}

/** @param {string} url @param {unknown} body */
async function post (url, body) {
  const response = await fetch(`${url}/must-gather`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  return /** @type {{ id: number }} */ (await response.json())
}

/** @param {string} url @param {number} id */
async function finish (url, id) {
  for (;;) {
    const g = /** @type {Record<string, any>} */ (await (await fetch(`${url}/must-gather/${id}`)).json())
    if (g.status === 'completed' || g.status === 'error') return g
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const { url, child, dir } = await start()
const pid = /** @type {number} */ (child.pid)
try {
  const idleRss = rssMiB(pid)
  const cpuBefore = cpuSeconds(pid)
  const started = performance.now()
  const big = await post(url, { image: `${IMAGE}:lines-20000_size-200m` })
  const done = await finish(url, big.id)
  const seconds = (performance.now() - started) / 1000
  const cpu = cpuSeconds(pid) - cpuBefore
  console.log(`20,000 lines / 200 MB: POST → ${done.status} in ${seconds.toFixed(1)} s; archive ${(done['archive-size'] / 1e6).toFixed(0)} MB; service CPU ${cpu.toFixed(2)} s; RSS ${rssMiB(pid).toFixed(0)} MiB`)

  const ids = []
  for (let i = 0; i < 100; i++) ids.push((await post(url, { image: `${IMAGE}:v1`, 'custom-name': `bench-${i}` })).id)
  let peak = 0
  for (const id of ids) {
    await finish(url, id)
    peak = Math.max(peak, rssMiB(pid))
  }
  await new Promise((resolve) => setTimeout(resolve, 2000))
  console.log(`100 executions: service RSS idle before ${idleRss.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, after ${rssMiB(pid).toFixed(0)} MiB`)
} finally {
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  rmSync(dir, { recursive: true, force: true })
}
