import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface ReadinessOptions {
  /** Throws when the database cannot be read. */
  pingDatabase: () => Promise<void>
  dataDir: string
  ocPath: string
  ocEnv: NodeJS.ProcessEnv
  /** False once shutdown has begun. */
  accepting: () => boolean
}

export interface Readiness {
  ready: boolean
  checks: Record<string, { ok: boolean, message: string }>
}

/**
 * Whether the service can do its job: database reachable, data directory
 * writable (a real write: a read-only or full disk shows), `oc` runnable
 * (`oc version --client` once at start, cached), not shutting down.
 */
export class ReadinessChecker {
  readonly #o: ReadinessOptions
  #oc: { ok: boolean, message: string } = { ok: false, message: 'checking `oc version --client`' }

  constructor (options: ReadinessOptions) {
    this.#o = options
  }

  /** Runs the `oc` check once; resolves when it is known. */
  async checkOc (): Promise<void> {
    this.#oc = await new Promise((resolve) => {
      execFile(this.#o.ocPath, ['version', '--client'], { env: this.#o.ocEnv, timeout: 15_000 }, (error, stdout) => {
        if (error === null) {
          resolve({ ok: true, message: stdout.split('\n')[0]?.trim() ?? '' })
          return
        }
        const code = (error as NodeJS.ErrnoException).code
        const what = code === 'ENOENT' ? 'was not found' : code === 'EACCES' ? 'is not executable' : `failed (${error.message.split('\n')[0]})`
        resolve({ ok: false, message: `OC_PATH "${this.#o.ocPath}" ${what}` })
      })
    })
  }

  get ocAvailable (): { ok: boolean, message: string } {
    return this.#oc
  }

  async check (): Promise<Readiness> {
    const checks: Readiness['checks'] = {
      database: await this.#o.pingDatabase().then(() => ({ ok: true, message: 'reachable' }), (error: unknown) => ({ ok: false, message: (error as Error).message })),
      dataDir: await this.#checkDataDir(),
      oc: this.#oc,
      accepting: this.#o.accepting() ? { ok: true, message: 'accepting executions' } : { ok: false, message: 'shutting down' }
    }
    return { ready: Object.values(checks).every((c) => c.ok), checks }
  }

  async #checkDataDir (): Promise<{ ok: boolean, message: string }> {
    const probe = join(this.#o.dataDir, `.ready-${randomUUID()}`)
    try {
      await writeFile(probe, 'ok')
      await rm(probe, { force: true })
      return { ok: true, message: `${this.#o.dataDir} is writable` }
    } catch (error) {
      return { ok: false, message: `${this.#o.dataDir} is not writable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }
    }
  }
}
