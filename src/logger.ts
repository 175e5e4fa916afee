/**
 * The logging surface the domain uses: pino's, without depending on fastify
 * or pino (fastify's `app.log` and any pino logger satisfy it).
 */
export interface Logger {
  debug (bindings: object, message?: string): void
  info (bindings: object, message?: string): void
  warn (bindings: object, message?: string): void
  error (bindings: object, message?: string): void
  child (bindings: Record<string, unknown>): Logger
}
