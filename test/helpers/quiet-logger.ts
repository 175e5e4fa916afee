import type { Logger } from '../../src/logger.js'

/** A logger that keeps what was logged, for tests that check what the service says. */
export class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string, bindings: object, message: string | undefined }> = []
  debug (bindings: object, message?: string): void { this.lines.push({ level: 'debug', bindings, message }) }
  info (bindings: object, message?: string): void { this.lines.push({ level: 'info', bindings, message }) }
  warn (bindings: object, message?: string): void { this.lines.push({ level: 'warn', bindings, message }) }
  error (bindings: object, message?: string): void { this.lines.push({ level: 'error', bindings, message }) }
  child (): Logger { return this }
}
