import { ConfigError, loadConfig } from './config/config.js'
import { buildApp } from './app.js'
import { describeDatabase } from './storage/open-store.js'

/** Process entry: configuration from the environment, listen, close gracefully on SIGTERM/SIGINT. */
async function main (): Promise<void> {
  let config
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`must-gather-service: invalid configuration: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
  const app = await buildApp({
    config,
    logger: {
      level: config.logLevel,
      // Tokens arrive in this header (issue: security); never log it.
      redact: ['req.headers.authorization', ...(config.forwardedTokenHeader === undefined ? [] : [`req.headers["${config.forwardedTokenHeader}"]`])]
    }
  })
  let closing = false
  const shutdown = (signal: NodeJS.Signals): void => {
    // A repeated signal must not kill the process mid-drain (the default action would).
    if (closing) {
      app.log.info({ signal }, 'Already shutting down.')
      return
    }
    closing = true
    app.log.info({ signal, graceMs: config.shutdownGraceMs }, 'Shutting down: no new executions; waiting for running ones.')
    // Keep answering GETs while running gatherings finish; POST gets 503 meanwhile.
    app.runner.stop(config.shutdownGraceMs).then(() => app.close()).then(() => process.exit(0), (error: unknown) => {
      app.log.error({ err: error }, 'Shutdown failed.')
      process.exit(1)
    })
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)

  let address: string
  let operations: string | undefined
  try {
    address = await app.listen({ port: config.port, host: config.host })
    if (app.operations !== undefined) operations = await app.operations.listen({ port: config.metricsPort ?? 0, host: config.host })
  } catch (error) {
    await app.close()
    throw error
  }
  app.log.info({ address, authMode: config.authMode, db: describeDatabase(config), dataDir: config.dataDir, oc: config.ocPath },
    `must-gather-service listening on ${address} (auth: ${config.authMode}, database: ${describeDatabase(config)}, data: ${config.dataDir})`)
  // Worded apart from the line above: scripts read the API's address from "listening on".
  app.log.info({ operations: operations ?? address },
    `/healthz, /readyz and /metrics served at ${operations ?? `${address} (METRICS_PORT=-1)`}`)
  if (config.authMode === 'none') {
    app.log.warn({ host: config.host }, 'AUTH_MODE=none: every caller is trusted and oc runs with the service\'s own credentials.')
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`must-gather-service: failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
