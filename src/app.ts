import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'

import type { Config } from './config/config.js'
import { ocEnvironment } from './gatherings/oc-env.js'
import { GatheringPaths } from './gatherings/paths.js'
import { GatheringRunner } from './gatherings/runner.js'
import { installErrorHandlers } from './http/error-handler.js'
import { mustGatherRoutes } from './routes/must-gather.js'
import { SqliteGatheringStore } from './storage/sqlite.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The queue and runs; server.ts drains it before closing the app. */
    runner: GatheringRunner
  }
}

export interface BuildAppOptions {
  config: Config
  logger?: FastifyServerOptions['logger']
  /** The environment `oc` runs with is taken (allow-listed) from here (default: process.env). */
  env?: NodeJS.ProcessEnv
}

const BODY_LIMIT = 64 * 1024

/**
 * Builds the whole service: store, runner and routes. The runner starts
 * (recovering what a previous process left) before the app is returned;
 * `app.close()` stops it, then closes the store, in that order.
 */
export async function buildApp ({ config, logger = false, env = process.env }: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    bodyLimit: BODY_LIMIT,
    // Custom names travel in the path (percent-encoded): allow long ones.
    routerOptions: { maxParamLength: 2048 },
    requestIdHeader: 'x-request-id',
    ajv: {
      // Unknown fields and wrong types are errors, never silently dropped or converted.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false }
    }
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Clients of the predecessor post JSON with or without a JSON content type
  // (plain `curl -d` sends form encoding); read every body as JSON, and an
  // empty one as "no options".
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body)
    if (text.trim() === '') {
      done(null, undefined)
      return
    }
    try {
      done(null, JSON.parse(text))
    } catch (error) {
      const invalid = new Error(`request body is not valid JSON: ${(error as Error).message}`) as Error & { statusCode: number, code: string }
      invalid.statusCode = 400
      invalid.code = 'FST_ERR_CTP_INVALID_JSON_BODY'
      done(invalid, undefined)
    }
  })

  installErrorHandlers(app)

  const store = new SqliteGatheringStore(config.dbPath)
  const paths = new GatheringPaths(config.dataDir)
  const runner = new GatheringRunner({
    store,
    paths,
    logger: app.log,
    ocPath: config.ocPath,
    ocEnv: ocEnvironment(env),
    maxConcurrent: config.maxConcurrent,
    maxQueued: config.maxQueued,
    archiveFilename: config.archiveFilename,
    timeoutGraceMs: config.timeoutGraceMs,
    cancelGraceMs: config.cancelGraceMs,
    outputTailLimit: config.execOutputLimit,
    keepGatheredFiles: config.keepGatheredFiles,
    ...(config.cleanupMaxAgeMs !== undefined && { cleanupMaxAgeMs: config.cleanupMaxAgeMs })
  })
  app.decorate('runner', runner)
  // Close order matters: the runner writes final states, then the store closes.
  app.addHook('onClose', async () => {
    await runner.stop(config.shutdownGraceMs)
    store.close()
  })
  try {
    await runner.start()
  } catch (error) {
    store.close()
    throw error
  }

  await app.register(mustGatherRoutes, {
    store,
    runner,
    paths,
    defaults: { defaultImage: config.defaultImage, defaultTimeout: config.defaultTimeout, maxTimeoutMs: config.maxTimeoutMs },
    execOutputLimit: config.execOutputLimit,
    listOutputLimit: config.listOutputLimit
  })
  return app
}
