import { type Static, type TSchema, Type } from './builder.js'

import { PHASES } from '../gatherings/phase.js'
import { GATHERING_STATUSES } from '../gatherings/types.js'

/**
 * The API's JSON shapes. Fastify validates requests against these and
 * (later) the OpenAPI document is generated from them, so this is the single
 * description of the wire format. Semantic rules that mirror `oc` live in
 * `gatherings/validate-request.ts`.
 */

// `null` is accepted wherever a value is optional and means "not given", as
// clients written for the Go predecessor may send zero values that way.
const optional = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]))
const text = (maxLength: number, description: string) => Type.String({ maxLength, description })
const textOrList = (description: string) => Type.Union([
  Type.String({ maxLength: 4096 }),
  Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 64 })
], { description })

export const CreateGatheringBodySchema = Type.Object({
  'custom-name': optional(text(256, 'A name to find the execution by (GET /must-gather/<custom-name> returns the newest)')),
  image: optional(textOrList('Must-gather image(s): a string (comma-separated allowed) or an array')),
  'image-stream': optional(textOrList('Image stream(s) namespace/name:tag: a string (comma-separated allowed) or an array')),
  'all-images': optional(Type.Boolean({ description: 'Default image plus every operator must-gather image' })),
  'node-name': optional(text(253, 'Node to run the gather pod on')),
  'node-selector': optional(text(1024, 'Label selector: one gather pod per matching node')),
  'host-network': optional(Type.Boolean({ description: 'Run the gather pods with host networking' })),
  'source-dir': optional(text(4096, 'Directory in the pod that is copied back (oc default: /must-gather/)')),
  timeout: optional(text(64, 'Go duration (e.g. 15m, 1h30m); default from TIMEOUT, at most MAX_TIMEOUT')),
  since: optional(text(64, 'Only logs newer than this Go duration')),
  'since-time': optional(text(64, 'Only logs after this RFC 3339 time')),
  'run-namespace': optional(text(63, 'Existing privileged namespace to run in instead of a temporary one')),
  'volume-percentage': optional(Type.Integer({ description: 'Max % of the pod volume the gather may fill (1-100)' })),
  keep: optional(Type.Boolean({ description: 'Keep the temporary namespace and pods' })),
  server: optional(text(2048, 'Kubernetes API server URL')),
  command: optional(textOrList('Gather command run in the pod: a string (one argument, interpreted by bash in the pod) or an array of arguments')),
  redact: optional(Type.Boolean({ description: 'Redact IP and MAC addresses, domains and configured patterns before packing (REDACTION=optional); with REDACTION=required every archive is redacted' }))
}, {
  additionalProperties: false,
  examples: [
    { image: 'quay.io/maufart/forklift-must-gather', timeout: '15m' },
    { 'custom-name': 'plan:plan1', command: 'PLAN=plan1 /usr/bin/targeted' },
    {}
  ]
})
export type CreateGatheringBody = Static<typeof CreateGatheringBodySchema>

export const GatheringStatusSchema = Type.Union([Type.Literal('new'), Type.Literal('inprogress'), Type.Literal('completed'), Type.Literal('error')])

export const ListGatheringsQuerySchema = Type.Object({
  status: Type.Optional(Type.String({ description: `One of ${GATHERING_STATUSES.join(', ')}` })),
  'custom-name': Type.Optional(Type.String({ description: 'Only executions with this custom name' })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'At most this many entries (default: all)' })),
  offset: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Skip this many entries' }))
}, { additionalProperties: true })
export type ListGatheringsQuery = Static<typeof ListGatheringsQuerySchema>

export const OutputQuerySchema = Type.Object({
  follow: Type.Optional(Type.String({ enum: ['true', 'false', '1', '0'], description: 'Stream until the execution ends' })),
  offset: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Start at this byte of the output' }))
}, { additionalProperties: true })

export const GatheringParamsSchema = Type.Object({
  id: Type.String({ description: 'Numeric id, or a custom name (the newest execution with it)' })
})
export type GatheringParams = Static<typeof GatheringParamsSchema>

const timestamp = Type.String({ format: 'date-time' })

/** One execution as the API returns it. */
export const GatheringResponseSchema = Type.Object({
  id: Type.Integer(),
  'created-at': timestamp,
  'updated-at': timestamp,
  'custom-name': Type.String(),
  status: GatheringStatusSchema,
  image: Type.String({ description: 'Images, comma-separated' }),
  'image-stream': Type.String(),
  'node-name': Type.String(),
  command: Type.String({ description: 'Arguments joined with spaces' }),
  'source-dir': Type.String(),
  timeout: Type.String(),
  server: Type.String(),
  'archive-name': Type.String(),
  'archive-size': Type.Integer(),
  'archive-sha256': Type.String(),
  'exec-output': Type.String({ description: 'The tail of everything oc printed; whole text at /must-gather/{id}/output' }),
  'node-selector': Type.String(),
  'host-network': Type.Boolean(),
  'all-images': Type.Boolean(),
  since: Type.String(),
  'since-time': Type.String(),
  'run-namespace': Type.String(),
  'volume-percentage': Type.Union([Type.Integer(), Type.Null()]),
  keep: Type.Boolean(),
  'error-message': Type.String(),
  'started-at': Type.Union([timestamp, Type.Null()]),
  'finished-at': Type.Union([timestamp, Type.Null()]),
  'created-by': Type.String({ description: 'Username of the caller who created it (empty when AUTH_MODE=none)' }),
  redacted: Type.Boolean({ description: 'The archive was redacted before packing: the raw files were never packed' }),
  'redaction-counts': Type.Union([Type.Record(Type.Integer()), Type.Null()], { description: 'Replacements per redaction rule (and omitted-files) when redacted; null otherwise' }),
  expired: Type.Boolean({ description: 'The archive is gone: deleted to stay within MAX_STORAGE or keep MIN_FREE_SPACE, or its file was found missing at start-up. The record stays; GET /must-gather/{id}/data says which' }),
  phase: Type.Union(PHASES.map((p) => Type.Literal(p)), {
    description: 'Read off oc\'s output: queued → starting → namespace-created → pod-created → gathering → downloading → cleaning-up → packing → done (or failed)'
  }),
  progress: Type.Object({
    'elapsed-seconds': Type.Union([Type.Integer(), Type.Null()], { description: 'Since the run started' }),
    'timeout-seconds': Type.Integer({ description: 'The run\'s --timeout' }),
    'output-bytes': Type.Integer({ description: 'Bytes oc has printed so far' })
  })
}, {
  // The design document's sample object, in this service's complete form.
  examples: [{
    id: 15,
    'created-at': '2021-06-30T13:19:17.514Z',
    'updated-at': '2021-06-30T13:23:05.415Z',
    'custom-name': '',
    status: 'completed',
    image: 'quay.io/maufart/forklift-must-gather',
    'image-stream': '',
    'node-name': '',
    command: '',
    'source-dir': '',
    timeout: '30m',
    server: '',
    'archive-name': 'must-gather-15.tar.gz',
    'archive-size': 95334,
    'archive-sha256': '5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269',
    'exec-output': '[must-gather      ] OUT Using must-gather plug-in image: quay.io/maufart/forklift-must-gather\n[must-gather      ]...',
    'node-selector': '',
    'host-network': false,
    'all-images': false,
    since: '',
    'since-time': '',
    'run-namespace': '',
    'volume-percentage': null,
    keep: false,
    'error-message': '',
    'started-at': '2021-06-30T13:19:17.601Z',
    'finished-at': '2021-06-30T13:23:05.415Z',
    'created-by': 'kube:admin',
    redacted: false,
    'redaction-counts': null,
    expired: false,
    phase: 'done',
    progress: { 'elapsed-seconds': 228, 'timeout-seconds': 1800, 'output-bytes': 48213 }
  }]
})
export type GatheringResponse = Static<typeof GatheringResponseSchema>

export const ErrorResponseSchema = Type.Object({
  error: Type.String({ description: 'What is wrong, in a sentence' }),
  field: Type.Optional(Type.String({ description: 'The request field to blame, when there is one' }))
}, { examples: [{ error: "--node-name may not contain '/' or '%'", field: 'node-name' }] })
export type ErrorResponse = Static<typeof ErrorResponseSchema>
