// @ts-check
// The Run step of the simulated `oc adm must-gather`: temporary namespace,
// one simulated pod per image (and per node with --node-selector, at most 4 at
// once), streamed POD lines, download into the destination directory, the
// fall-back inspect on failure, cleanup, and signal handling.
import { mkdirSync, appendFileSync, openSync, writeSync, closeSync } from 'node:fs'
import { join, posix } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import { MAIN_PREFIX, randomSuffix, randomDigits } from './output.mjs'
import { parseScenario } from './scenario.mjs'
import { parseImageReference, imageIdFor, sanitizeName } from './imageref.mjs'
import { summaryLines, selectNodes, NODES, NAMESPACES } from './cluster.mjs'
import { writeGatherTree, writeInspect, writeEventFilter } from './tree.mjs'
import { formatGoDuration } from './goparse.mjs'

/**
 * @typedef {import('./args.mjs').MustGatherOptions} MustGatherOptions
 * @typedef {import('./args.mjs').PlannedImage} PlannedImage
 * @typedef {import('./scenario.mjs').Scenario} Scenario
 * @typedef {import('./output.mjs').Output} Output
 * @typedef {import('./output.mjs').Clock} Clock
 */

/**
 * @typedef {object} PodJob
 * @property {PlannedImage} image
 * @property {Scenario} scenario
 * @property {string} node node the pod runs on ('' = chosen by the scheduler)
 * @property {boolean} perNode pod created for a --node-selector match
 */

/**
 * Sleeps until performance.now() reaches `t` (Infinity = forever; the pending
 * timer keeps the process alive).
 * @param {number} t
 */
async function sleepUntil (t) {
  for (;;) {
    const remaining = t - performance.now()
    if (remaining <= 0) return
    await delay(Math.min(Math.ceil(remaining), 2 ** 30))
  }
}

/**
 * errors.NewAggregate(errs).Error()
 * @param {string[]} errs
 */
function aggregate (errs) {
  return errs.length === 1 ? (errs[0] ?? '') : `[${errs.join(', ')}]`
}

/**
 * Go's path.Clean for the source dir.
 * @param {string} p
 */
function cleanPath (p) {
  if (p === '') return '.'
  const n = posix.normalize(p)
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n
}

/**
 * Go-style description of a failed filesystem call.
 * @param {unknown} e
 */
function fsError (e) {
  const err = /** @type {NodeJS.ErrnoException} */ (e)
  /** @type {Record<string, string>} */
  const texts = { EACCES: 'permission denied', ENOTDIR: 'not a directory', EEXIST: 'file exists', EROFS: 'read-only file system', ENOSPC: 'no space left on device', ENOENT: 'no such file or directory' }
  const what = texts[err.code ?? ''] ?? err.message
  return err.syscall && err.path ? `${err.syscall} ${err.path}: ${what}` : what
}

/**
 * @param {number} n
 */
function withCommas (n) {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/**
 * Runs `oc adm must-gather` after Complete and Validate succeeded.
 * @param {MustGatherOptions} opts
 * @param {Output} out
 * @param {Clock} clock
 * @param {string} usingLine the `Using must-gather plug-in image: ...` text
 * @returns {Promise<number>} exit status
 */
export async function runMustGather (opts, out, clock, usingLine) {
  const errLine = (/** @type {string} */ line) => { process.stderr.write(line + '\n') }
  const scenarios = opts.images.map((i) => parseScenario(i.scenarioTag))
  const ignoreSignals = scenarios.some((s) => s.ignoreSigterm)
  const finalExit = scenarios.find((s) => s.exitCode !== null)?.exitCode ?? null

  // Signals. The real oc is killed by SIGTERM/SIGINT; the simulator first does
  // the cleanup a well-behaved client would (it reports the temporary namespace
  // as deleted and flushes must-gather.logs), then re-raises the signal with the
  // default action, so the parent sees the process terminated by that signal
  // (exit code null + signal 'SIGTERM' in Node, status 143 in a shell; 130 for SIGINT).
  /** @type {string | null} namespace reported as deleted if a signal arrives */
  let nsToDelete = null
  let terminating = false
  /** @param {NodeJS.Signals} sig */
  const onSignal = (sig) => {
    if (ignoreSignals || terminating) return
    terminating = true
    if (nsToDelete !== null) out.out(MAIN_PREFIX, `namespace/${nsToDelete} deleted`)
    out.mute()
    try { out.closeLog() } catch { /* the destination may be gone */ }
    const die = () => {
      process.removeAllListeners(sig)
      process.kill(process.pid, sig)
    }
    setTimeout(die, 1000).unref()
    out.drain().then(die, die)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)

  try {
    mkdirSync(opts.destDir, { recursive: true })
  } catch (e) {
    errLine(`error: ${fsError(e)}`)
    return 1
  }

  if (scenarios.some((s) => s.crash)) {
    errLine(opts.runNamespace
      ? `error: retrieving namespace "${opts.runNamespace}": namespaces "${opts.runNamespace}" is forbidden: User "system:serviceaccount:must-gather:runner" cannot get resource "namespaces" in API group "" in the namespace "${opts.runNamespace}"`
      : 'error: creating temp namespace: namespaces is forbidden: User "system:serviceaccount:must-gather:runner" cannot create resource "namespaces" in API group "" at the cluster scope')
    return 1
  }

  try {
    out.openLog(join(opts.destDir, 'must-gather.logs'))
    out.writeLog(`${MAIN_PREFIX} OUT ${clock.rfc3339Nano()} ${usingLine}\n`)
  } catch (e) {
    errLine(`Unable to write must-gather logs: ${fsError(e)}. It is possible the destination directory has not been created yet due to early termination`)
  }
  for (const line of summaryLines()) out.raw(line)
  await delay(20)

  let nsName = opts.runNamespace
  if (nsName === '') {
    nsName = `openshift-must-gather-${randomSuffix()}`
    out.out(MAIN_PREFIX, `namespace/${nsName} created`)
    await delay(10)
    out.out(MAIN_PREFIX, `clusterrolebinding.rbac.authorization.k8s.io/must-gather-${randomSuffix()} created`)
    if (!opts.keep) nsToDelete = nsName
  }

  /** @type {string[]} */
  const errs = []
  let gathered = false
  /** @type {PodJob[]} */
  const jobs = []
  const selected = opts.nodeSelector !== '' ? selectNodes(opts.nodeSelector) : { nodes: [] }
  if ('error' in selected) {
    errs.push(selected.error)
  } else {
    opts.images.forEach((image, i) => {
      const scenario = /** @type {Scenario} */ (scenarios[i])
      if (opts.nodeSelector !== '') {
        for (const n of selected.nodes) jobs.push({ image, scenario, node: n.name, perNode: true })
      } else {
        jobs.push({ image, scenario, node: opts.nodeName, perNode: false })
      }
    })
    const timestampFile = join(opts.destDir, 'timestamp')
    try {
      appendFileSync(timestampFile, clock.goString() + '\n')
    } catch (e) {
      errs.push(fsError(e))
    }
    let next = 0
    const worker = async () => {
      while (next < jobs.length) {
        const job = /** @type {PodJob} */ (jobs[next++])
        const err = await runPod(job, nsName, opts, out, clock)
        if (err !== null) errs.push(err)
      }
    }
    await Promise.all(Array.from({ length: Math.min(4, jobs.length) }, worker))
    // A full disk fails these writes like any other: an `error:` line and exit 1, never a crash.
    try {
      writeEventFilter(opts.destDir)
      appendFileSync(timestampFile, clock.goString() + '\n')
    } catch (e) {
      errs.push(fsError(e))
    }
    gathered = true
  }

  if (nsToDelete !== null) {
    await delay(10)
    out.out(MAIN_PREFIX, `namespace/${nsToDelete} deleted`)
    nsToDelete = null
  }

  if (errs.length > 0) {
    // BackupGathering (the reference documents it for every failed gather)
    errLine('')
    errLine('')
    errLine('Error running must-gather collection:')
    errLine(`    ${aggregate(errs)}`)
    errLine('')
    errLine('Falling back to `oc adm inspect clusterversion.v1.config.openshift.io,clusteroperators.v1.config.openshift.io` to collect basic cluster types.')
    const inspectDir = join(opts.destDir, `inspect.local.${randomDigits()}`)
    for (const ns of ['openshift-cluster-version', 'openshift-config', 'openshift-config-managed', 'openshift-etcd', 'openshift-kube-apiserver']) {
      out.out(MAIN_PREFIX, `Gathering data for ns/${ns}...`)
    }
    try {
      writeInspect(inspectDir, clock.goString() + '\n')
    } catch (e) {
      errLine(`error completing cluster type inspection: error running backup collection: ${fsError(e)}`)
    }
    out.out(MAIN_PREFIX, `Wrote inspect data to ${inspectDir}.`)
    errLine('Falling back to `oc adm inspect namespace/openshift-cluster-version` to collect basic cluster named resources.')
    out.out(MAIN_PREFIX, 'Gathering data for ns/openshift-cluster-version...')
    out.out(MAIN_PREFIX, `Wrote inspect data to ${inspectDir}.`)
    if (!gathered) {
      try { writeEventFilter(opts.destDir) } catch { /* reported with the inspect error above */ }
    }
  }

  out.raw('')
  out.raw('Reprinting Cluster State:')
  for (const line of summaryLines()) out.raw(line)
  try {
    out.closeLog()
  } catch (e) {
    errs.push(fsError(e))
  }

  if (errs.length > 0) {
    errLine(`error: ${aggregate(errs)}`)
    return 1
  }
  if (finalExit !== null && finalExit !== 0) {
    errLine(`error: exit status ${finalExit} (simulated by image tag exit-${finalExit})`)
    return finalExit
  }
  return 0
}

/**
 * The text of line `i` of the simulated gather script's output.
 * @param {number} i
 * @param {number} total
 * @param {string[]} header
 * @param {string} last
 * @param {number} volumePercentage
 */
function podLineText (i, total, header, last, volumePercentage) {
  if (i < header.length && i < total - 1) return /** @type {string} */ (header[i])
  if (i === total - 1) return last
  const k = i - header.length
  if (k % 10 === 9) return `volume usage percentage ${Math.min(volumePercentage - 1, Math.floor(k / 50))}`
  const ns = NAMESPACES[k % NAMESPACES.length] ?? 'default'
  return k < NAMESPACES.length ? `Gathering data for ns/${ns}...` : `    Collecting resources for namespace ${ns} (pass ${Math.floor(k / NAMESPACES.length) + 1})`
}

/**
 * Simulates one must-gather pod. Returns an error message, or null on success.
 * @param {PodJob} job
 * @param {string} nsName
 * @param {MustGatherOptions} opts
 * @param {Output} out
 * @param {Clock} clock
 * @returns {Promise<string | null>}
 */
async function runPod (job, nsName, opts, out, clock) {
  const { image, scenario } = job
  const podName = `must-gather-${randomSuffix()}`
  const prefix = `[${podName}]`
  const start = performance.now()
  const deadline = start + opts.timeoutMs
  const node = job.node || (NODES.find((n) => n.role === 'master')?.name ?? '')
  if (job.perNode) out.out(MAIN_PREFIX, `pod: ${podName} on node: ${job.node} for plug-in image ${image.spec} created`)
  else out.out(MAIN_PREFIX, `pod for plug-in image ${image.spec} created`)

  // wait for the gather container to be running
  await sleepUntil(Math.min(deadline, start + 150))
  if (performance.now() >= deadline && !scenario.hang) {
    out.out(prefix, 'gather did not start: timed out waiting for the condition')
    return `gather did not start for pod ${podName}: timed out waiting for the condition`
  }

  // stream the gather container's log
  const command = opts.command.length > 0 ? opts.command.join(' ') : '/usr/bin/gather'
  const env = [`NODE_NAME=${node}`, `POD_NAME=${podName}`]
  if (opts.sinceNs !== 0n) env.push(`MUST_GATHER_SINCE=${formatGoDuration(opts.sinceNs)}`)
  if (opts.sinceTime !== '') env.push(`MUST_GATHER_SINCE_TIME=${opts.sinceTime}`)
  const header = [
    'volume percentage checker started.....',
    `[simulated pod] command: /bin/bash -c "<volume usage checker of ${cleanPath(opts.sourceDir)} at ${opts.volumePercentage}%> & ${command}; sync"`,
    `[simulated pod] env: ${env.join(' ')}${opts.hostNetwork ? ' (hostNetwork: true, CAP_NET_RAW)' : ''}`,
    'volume usage percentage 0'
  ]
  const failed = scenario.failExitCode !== null
  const last = failed
    ? 'ERROR: gather failed: unable to collect data for ns/openshift-etcd: context deadline exceeded (simulated failure)'
    : 'Wrote inspect data to must-gather.'
  const total = scenario.lines
  const durMs = scenario.gatherSeconds * 1000
  const linesStart = performance.now()
  /** @type {Buffer[]} */
  const gatherLog = []
  const podPrefix = `${prefix} POD `
  let timedOut = false
  let i = 0
  while (i < total) {
    const now = performance.now()
    if (now >= deadline && !scenario.hang) { timedOut = true; break }
    const due = durMs <= 0 ? total : Math.min(total, Math.floor(total * (now - linesStart) / durMs) + 1)
    while (i < due) {
      // Chunks of at most 1024 lines: small strings stay in the young generation;
      // the gather.logs copy is kept off-heap as a Buffer until the download.
      const end = Math.min(due, i + 1024)
      let chunk = ''
      let logChunk = ''
      for (; i < end; i++) {
        const line = `${clock.rfc3339Nano()} ${podLineText(i, total, header, last, opts.volumePercentage)}\n`
        chunk += podPrefix + line
        logChunk += line
      }
      out.writeStdout(chunk)
      gatherLog.push(Buffer.from(logChunk))
      await out.drain()
      if (performance.now() >= deadline && !scenario.hang) break
    }
    if (i >= total) break
    await sleepUntil(Math.min(deadline, linesStart + i * durMs / total, performance.now() + 250))
  }
  if (scenario.hang) await sleepUntil(Infinity)
  if (!timedOut) {
    const endAt = scenario.timeout ? Infinity : linesStart + durMs
    if (endAt > deadline) {
      await sleepUntil(deadline)
      timedOut = true
    } else {
      await sleepUntil(endAt)
    }
  }

  out.out(prefix, 'waiting for gather to complete')
  if (timedOut) {
    out.out(prefix, 'gather never finished: timed out waiting for the condition')
    return `gather never finished for pod ${podName}: timed out waiting for the condition`
  }
  if (scenario.failExitCode !== null) {
    const code = scenario.failExitCode
    const msg = `${nsName}/${podName} unexpectedly terminated: exit code: ${code}, reason: ${code === 137 ? 'OOMKilled' : 'Error'}, message: ${total > 0 ? last : ''}`
    out.out(prefix, `gather never finished: ${msg}`)
    return msg
  }

  out.out(prefix, 'downloading gather output')
  await delay(30)
  const parsed = parseImageReference(image.spec)
  const imageId = 'ref' in parsed ? imageIdFor(image.spec, parsed.ref) : image.spec
  const imageDir = job.perNode
    ? join(opts.destDir, sanitizeName(job.node), sanitizeName(imageId))
    : join(opts.destDir, sanitizeName(imageId))
  try {
    mkdirSync(imageDir, { recursive: true })
    const fd = openSync(join(imageDir, 'gather.logs'), 'w')
    try {
      for (const b of gatherLog) writeSync(fd, b)
    } finally {
      closeSync(fd)
    }
    gatherLog.length = 0
    out.out(prefix, 'receiving incremental file list')
    out.out(prefix, './')
    const stats = { bytes: 0, files: 0 }
    const tree = writeGatherTree(imageDir, {
      sizeBytes: scenario.sizeBytes,
      files: scenario.files,
      seed: `${image.spec}@${job.node}`,
      timestampText: clock.goString() + '\n',
      archive: scenario.archive
    }, stats)
    for await (const batch of tree) {
      out.outMany(prefix, batch)
      await out.drain()
    }
    const received = Math.round(stats.bytes / 3.7) + stats.files * 42
    const sent = 1024 + stats.files * 31
    const seconds = Math.max(0.01, (performance.now() - start) / 1000)
    out.outMany(prefix, [
      '',
      `sent ${withCommas(sent)} bytes  received ${withCommas(received)} bytes  ${withCommas(Math.floor((sent + received) / seconds))}.${String(Math.floor(((sent + received) / seconds % 1) * 100)).padStart(2, '0')} bytes/sec`,
      `total size is ${withCommas(stats.bytes)}  speedup is ${(stats.bytes / Math.max(1, sent + received)).toFixed(2)}`
    ])
  } catch (e) {
    out.out(prefix, `gather output not downloaded: ${fsError(e)}`)
    out.out(prefix, '')
    return `unable to download output from pod ${podName}: ${fsError(e)}`
  }
  return null
}
