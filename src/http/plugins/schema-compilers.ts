import { createRequire } from 'node:module'

import type * as AjvModule from 'ajv'
import type { Ajv as AjvInstance, ValidateFunction } from 'ajv'
import type addFormatsPlugin from 'ajv-formats'
import type { FastifySchemaValidationError, FastifyServerOptions } from 'fastify'

type Compilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>

interface Check {
  (data: unknown): boolean
  errors?: FastifySchemaValidationError[] | null
}

const require = createRequire(import.meta.url)

/**
 * How Fastify turns route schemas into validators and serializers, chosen for
 * start-up time. Fastify's defaults compile every schema with ajv (and again
 * with fast-json-stringify, which embeds its own ajv) before the first
 * request: about 0.25 s of a 0.8 s start here. Instead:
 *
 * - validators are compiled on their first use, by one ajv loaded then, with
 *   the options Fastify would use minus its conversions: unknown fields and
 *   wrong types are errors, never silently dropped or coerced;
 * - replies are serialized with JSON.stringify. Every reply object is built
 *   field by field (http/present.ts), so fast-json-stringify's dropping of
 *   unknown fields adds nothing, and with this API's nullable unions it
 *   would fall back to validating each value at run time anyway.
 */
export const schemaCompilers: Compilers = {
  // Typed after @fastify/ajv-compiler, whose functions are ajv's own; Fastify only calls them and reads `.errors`.
  buildValidator: lazyValidators as unknown as Compilers['buildValidator'],
  buildSerializer: () => () => (data: unknown) => JSON.stringify(data)
}

function lazyValidators (): (route: { schema: unknown }) => Check {
  let ajv: AjvInstance | undefined
  const loadAjv = (): AjvInstance => {
    const { Ajv } = require('ajv') as typeof AjvModule
    const addFormats = (require('ajv-formats') as typeof addFormatsPlugin).default
    const instance = new Ajv({ coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false, addUsedSchema: false })
    addFormats(instance)
    return instance
  }
  return ({ schema }) => {
    let validate: ValidateFunction | undefined
    const check: Check = (data) => {
      validate ??= (ajv ??= loadAjv()).compile(schema as object)
      const valid = validate(data)
      check.errors = validate.errors as FastifySchemaValidationError[] | null | undefined
      return valid
    }
    return check
  }
}
