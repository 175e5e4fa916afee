// @ts-check
// Scenario selection: a plug-in image's TAG chooses how the simulated gather behaves.
// Grammar (see README.md): parts separated by '_', each `name` or `name-value`,
// e.g. `slow-30_lines-20000_size-200m`. Unknown parts and bad values are ignored,
// so any ordinary tag (latest, v4.17.0, none) is the normal quick scenario.

/**
 * @typedef {object} Scenario
 * @property {number} gatherSeconds how long the gather script runs
 * @property {number} lines number of lines the gather script prints
 * @property {number} sizeBytes about how many bytes the gather writes
 * @property {number | null} files exact number of gathered files, or null for a size-derived count
 * @property {number | null} failExitCode the gather container's exit code when it fails, null when it succeeds
 * @property {boolean} crash oc fails right after printing the image line
 * @property {boolean} timeout the gather never finishes
 * @property {boolean} hang oc itself hangs forever, ignoring --timeout
 * @property {boolean} ignoreSigterm SIGTERM and SIGINT are ignored
 * @property {boolean} archive the image writes its own must-gather.tar.gz
 * @property {number | null} exitCode exit status at the end of a normal run
 */

export const DEFAULT_GATHER_SECONDS = 0.5
export const DEFAULT_LINES = 40
export const DEFAULT_SIZE_BYTES = 1024 * 1024

/** @returns {Scenario} */
export function defaultScenario () {
  return {
    gatherSeconds: DEFAULT_GATHER_SECONDS,
    lines: DEFAULT_LINES,
    sizeBytes: DEFAULT_SIZE_BYTES,
    files: null,
    failExitCode: null,
    crash: false,
    timeout: false,
    hang: false,
    ignoreSigterm: false,
    archive: false,
    exitCode: null
  }
}

/**
 * A count like 20000, 200k or 1m (decimal multipliers).
 * @param {string} v
 * @returns {number | null}
 */
function parseCount (v) {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(v)
  if (!m) return null
  const mult = { '': 1, k: 1e3, m: 1e6 }[(m[2] ?? '').toLowerCase()] ?? 1
  const n = Math.round(Number(m[1]) * mult)
  return Number.isSafeInteger(n) ? n : null
}

/**
 * A size like 4096, 512k, 200m or 1.5g (binary multipliers).
 * @param {string} v
 * @returns {number | null}
 */
export function parseSize (v) {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(v)
  if (!m) return null
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1
  const n = Math.round(Number(m[1]) * mult)
  return Number.isSafeInteger(n) ? n : null
}

/**
 * @param {string} v
 * @param {number} max
 * @returns {number | null}
 */
function parseSmallInt (v, max) {
  if (!/^\d{1,3}$/.test(v)) return null
  const n = Number(v)
  return n <= max ? n : null
}

/**
 * Parses a scenario from an image tag ('' when the image has no tag).
 * @param {string} tag
 * @returns {Scenario}
 */
export function parseScenario (tag) {
  const s = defaultScenario()
  if (!tag) return s
  for (const part of tag.split('_')) {
    if (part === 'ignore-sigterm') { s.ignoreSigterm = true; continue }
    const dash = part.indexOf('-')
    const name = dash === -1 ? part : part.slice(0, dash)
    const value = dash === -1 ? null : part.slice(dash + 1)
    switch (name) {
      case 'slow': {
        if (value !== null && /^\d+(?:\.\d+)?$/.test(value)) s.gatherSeconds = Number(value)
        break
      }
      case 'lines': {
        const n = value === null ? null : parseCount(value)
        if (n !== null) s.lines = n
        break
      }
      case 'size': {
        const n = value === null ? null : parseSize(value)
        if (n !== null) s.sizeBytes = n
        break
      }
      case 'files': {
        const n = value === null ? null : parseCount(value)
        if (n !== null) s.files = n
        break
      }
      case 'fail': {
        if (value === null) s.failExitCode = 1
        else {
          const n = parseSmallInt(value, 255)
          if (n !== null && n > 0) s.failExitCode = n
        }
        break
      }
      case 'exit': {
        const n = value === null ? null : parseSmallInt(value, 255)
        if (n !== null) s.exitCode = n
        break
      }
      case 'crash': if (value === null) s.crash = true; break
      case 'timeout': if (value === null) s.timeout = true; break
      case 'hang': if (value === null) s.hang = true; break
      case 'archive': if (value === null) s.archive = true; break
      default: break // unknown part: ignored
    }
  }
  return s
}
