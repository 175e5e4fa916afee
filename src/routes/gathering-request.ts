import { RequestNotAllowedError, ValidationError } from '../gatherings/errors.js'
import type { GatheringRequest } from '../gatherings/types.js'
import type { CreateGatheringBody } from '../schemas/gathering.js'

/** The wire's name of each request field: the JSON body speaks the predecessor's kebab-case. */
const WIRE_NAMES = {
  customName: 'custom-name',
  image: 'image',
  imageStream: 'image-stream',
  allImages: 'all-images',
  nodeName: 'node-name',
  nodeSelector: 'node-selector',
  hostNetwork: 'host-network',
  sourceDir: 'source-dir',
  timeout: 'timeout',
  since: 'since',
  sinceTime: 'since-time',
  runNamespace: 'run-namespace',
  volumePercentage: 'volume-percentage',
  keep: 'keep',
  server: 'server',
  command: 'command',
  redact: 'redact'
} as const satisfies { [K in keyof Required<GatheringRequest>]: keyof CreateGatheringBody }

/** A POST /must-gather body (shape-checked by its schema) as the domain's request. */
export function gatheringRequestFrom (body: CreateGatheringBody): GatheringRequest {
  const request: Record<string, unknown> = {}
  for (const [field, wire] of Object.entries(WIRE_NAMES)) {
    if (body[wire] !== undefined) request[field] = body[wire]
  }
  return request as GatheringRequest
}

/** A domain error about a request field, naming the field as the caller sent it. */
export function inWireTerms (error: unknown): unknown {
  if (!(error instanceof ValidationError || error instanceof RequestNotAllowedError)) return error
  const wire = (WIRE_NAMES as Record<string, string>)[error.field]
  return wire === undefined || wire === error.field ? error : error.withFieldName(wire)
}
