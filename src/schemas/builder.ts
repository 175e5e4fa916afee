import type { FastifyPluginAsync, FastifyPluginOptions, FastifyTypeProvider, RawServerDefault } from 'fastify'

/**
 * A small JSON Schema builder whose values carry their TypeScript type, in the
 * manner of TypeBox but only the ten constructors this API uses. It exists for
 * start-up time: TypeBox 0.34 loads ~260 modules (about 0.1 s here) to build a
 * handful of plain objects. The schemas it returns are plain JSON Schema
 * (draft-07 subset), which Fastify validates with ajv and the OpenAPI document
 * embeds as they are.
 */

declare const staticType: unique symbol

/** A JSON Schema whose valid instances have the type `T` (compile time only). */
export interface TSchema<T = unknown> {
  readonly [staticType]?: T
  readonly [keyword: string]: unknown
}

/** The TypeScript type of a schema's valid instances. */
export type Static<S> = S extends TSchema<infer T> ? T : unknown

declare const optionalMark: unique symbol
/** A property schema that may be left out of its object (the mark exists for the compiler only). */
export interface TOptional<T = unknown> extends TSchema<T> {
  readonly [optionalMark]: true
}

type Options = Record<string, unknown>
type Properties = Record<string, TSchema>
type OptionalKeys<P extends Properties> = { [K in keyof P]: P[K] extends TOptional ? K : never }[keyof P]
type Flatten<T> = { [K in keyof T]: T[K] } & {}
type ObjectStatic<P extends Properties> = Flatten<
  { [K in Exclude<keyof P, OptionalKeys<P>>]: Static<P[K]> } & { [K in OptionalKeys<P>]?: Static<P[K]> }
>

/** Optional property schemas; kept out of the JSON so the schema stays plain. */
const optionals = new WeakSet<object>()

export const Type = {
  String: (options: Options = {}): TSchema<string> => ({ type: 'string', ...options }),
  Integer: (options: Options = {}): TSchema<number> => ({ type: 'integer', ...options }),
  Boolean: (options: Options = {}): TSchema<boolean> => ({ type: 'boolean', ...options }),
  Null: (options: Options = {}): TSchema<null> => ({ type: 'null', ...options }),

  Literal: <const V extends string | number | boolean>(value: V, options: Options = {}): TSchema<V> =>
    ({ const: value, type: typeof value, ...options }),

  Union: <const S extends readonly TSchema[]>(schemas: S, options: Options = {}): TSchema<Static<S[number]>> =>
    ({ anyOf: [...schemas], ...options }),

  Array: <S extends TSchema>(items: S, options: Options = {}): TSchema<Array<Static<S>>> =>
    ({ type: 'array', items, ...options }),

  /** An object with any string keys, every value matching `values`. */
  Record: <S extends TSchema>(values: S, options: Options = {}): TSchema<Record<string, Static<S>>> =>
    ({ type: 'object', additionalProperties: values, ...options }),

  Object: <P extends Properties>(properties: P, options: Options = {}): TSchema<ObjectStatic<P>> => {
    const required = Object.keys(properties).filter((key) => !optionals.has(properties[key] as object))
    return { type: 'object', properties, ...(required.length > 0 && { required }), ...options }
  },

  Optional: <T>(schema: TSchema<T>): TOptional<T> => {
    const copy = { ...schema }
    optionals.add(copy)
    return copy as TOptional<T>
  }
}

/** Tells Fastify the types of `request.body`, `params`, `query` and replies from route schemas built here. */
export interface SchemaTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown
  serializer: this['schema'] extends TSchema ? Static<this['schema']> : unknown
}

/** A Fastify plugin whose routes are typed from their schemas. */
export type TypedPlugin<Options extends FastifyPluginOptions = Record<never, never>> =
  FastifyPluginAsync<Options, RawServerDefault, SchemaTypeProvider>
