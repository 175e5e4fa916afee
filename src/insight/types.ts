import { type Static, type TSchema, Type } from '../schemas/builder.js'

/**
 * The cluster summary and the comparison of two summaries, as JSON schemas
 * (the API serves them as they are; the types are derived from the schemas).
 * Every finding carries `source`: the path of the file it came from, in the
 * form `tar -tzf` prints for the archive (the form TreeEntry.path uses), so
 * that a console can link to `/files/<source>`.
 */

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
const text = Type.String()
const maybeText = nullable(Type.String())
const count = Type.Integer({ minimum: 0 })
const source = Type.String({ description: 'File the finding came from (a path /files accepts)' })
/** A Kubernetes condition status: "True", "False", "Unknown", or null when the condition is absent. */
const conditionStatus = nullable(Type.String())

export const SUMMARY_FORMAT_VERSION = 1

export const ConditionSchema = Type.Object({
  type: text,
  status: conditionStatus,
  reason: maybeText,
  message: maybeText,
  'last-transition-time': maybeText
})
export type Condition = Static<typeof ConditionSchema>

export const ClusterInfoSchema = Type.Object({
  id: maybeText,
  'id-source': nullable(source),
  version: nullable(Type.String({ description: 'Newest completed version in the ClusterVersion history, or what oc printed' })),
  'desired-version': maybeText,
  'version-source': nullable(source),
  /** "Stable", "Updating", "Installing" or null when not known. */
  'version-state': maybeText,
  channel: maybeText,
  /** ClusterVersion conditions that are not as they should be (Failing=True, Available=False, Progressing=True). */
  'version-conditions': Type.Array(ConditionSchema),
  platform: maybeText,
  'platform-source': nullable(source),
  'infrastructure-name': maybeText
})
export type ClusterInfo = Static<typeof ClusterInfoSchema>

export const OperatorProblemSchema = Type.Object({
  name: text,
  available: conditionStatus,
  degraded: conditionStatus,
  progressing: conditionStatus,
  /** NotAvailable, Degraded, Progressing, NoConditions. */
  problems: Type.Array(Type.String()),
  /** The conditions behind the problems, with their messages. */
  conditions: Type.Array(ConditionSchema),
  version: maybeText,
  source
})
export type OperatorProblem = Static<typeof OperatorProblemSchema>

export const NodeProblemSchema = Type.Object({
  name: text,
  ready: conditionStatus,
  /** NotReady, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable. */
  problems: Type.Array(Type.String()),
  conditions: Type.Array(ConditionSchema),
  unschedulable: Type.Boolean(),
  roles: Type.Array(Type.String()),
  source
})
export type NodeProblem = Static<typeof NodeProblemSchema>

export const PodProblemSchema = Type.Object({
  namespace: text,
  pod: text,
  /** null for a problem of the pod as a whole (its phase, or not ready with no container to blame). */
  container: maybeText,
  'init-container': Type.Boolean(),
  phase: maybeText,
  /** The most specific reason known: waiting or terminated reason, the pod's reason, or its phase. */
  reason: maybeText,
  message: maybeText,
  /** Any of NotRunning, NotReady, CrashLoopBackOff, ImagePullBackOff, Error, Waiting, Restarted. */
  problems: Type.Array(Type.String()),
  ready: nullable(Type.Boolean()),
  'restart-count': count,
  /** Exit code of the most recent termination: `lastState.terminated`, or `state.terminated` when the container is stopped now. */
  'last-exit-code': nullable(Type.Integer()),
  'last-termination-reason': maybeText,
  source
})
export type PodProblem = Static<typeof PodProblemSchema>

export const EventGroupSchema = Type.Object({
  reason: text,
  namespace: maybeText,
  'object-kind': maybeText,
  'object-name': maybeText,
  /** Sum of the events' `count` (each event counts at least once). */
  count,
  events: count,
  'last-message': maybeText,
  'last-seen': maybeText,
  /** Events of this group that had no `type` and were taken as warnings by their reason. */
  'type-inferred': count,
  source
})
export type EventGroup = Static<typeof EventGroupSchema>

export const WarningReasonSchema = Type.Object({ reason: text, count, events: count, objects: count })
export type WarningReason = Static<typeof WarningReasonSchema>

export const PvcProblemSchema = Type.Object({
  namespace: text,
  name: text,
  phase: maybeText,
  'storage-class': maybeText,
  requested: maybeText,
  'volume-name': maybeText,
  source
})
export type PvcProblem = Static<typeof PvcProblemSchema>

export const GatherFailureSchema = Type.Object({
  /** The gather step the failure belongs to, when the log says (e.g. "Gathering data for ns/openshift-etcd"), or the pod. */
  step: maybeText,
  /** pod-failed, pod-timeout, download-failed, fallback-inspect, interrupted, error-line. */
  kind: text,
  message: text,
  line: nullable(Type.Integer({ minimum: 1 })),
  source
})
export type GatherFailure = Static<typeof GatherFailureSchema>

/** What a section could read: `read` all it found, `partial` some files failed, `missing` nothing found, `unreadable` all failed. */
export const SectionCoverageSchema = Type.Object({
  status: Type.Union([Type.Literal('read'), Type.Literal('partial'), Type.Literal('missing'), Type.Literal('unreadable')]),
  'files-read': count,
  'files-failed': count,
  'files-skipped': count,
  objects: count
})
export type SectionCoverage = Static<typeof SectionCoverageSchema>

export const FileIssueSchema = Type.Object({
  path: text,
  /** unparseable, too-large, unreadable, partial, not-read. */
  problem: text,
  detail: text
})
export type FileIssue = Static<typeof FileIssueSchema>

export const SECTIONS = ['cluster', 'cluster-operators', 'nodes', 'pods', 'events', 'persistent-volume-claims', 'gather-logs'] as const
export type SectionName = typeof SECTIONS[number]

export const CoverageSchema = Type.Object({
  'image-dirs': Type.Array(Type.String(), { description: 'Directories holding gathered resources (cluster-scoped-resources/ or namespaces/)' }),
  sections: Type.Record(SectionCoverageSchema, { description: `One entry for each of: ${SECTIONS.join(', ')}` }),
  'file-issues': Type.Array(FileIssueSchema),
  'file-issues-omitted': count,
  notes: Type.Array(Type.String())
})
export type Coverage = Static<typeof CoverageSchema>

export const SummarySchema = Type.Object({
  'format-version': Type.Integer(),
  cluster: ClusterInfoSchema,
  'cluster-operators': Type.Object({ total: count, problems: Type.Array(OperatorProblemSchema) }),
  nodes: Type.Object({ total: count, problems: Type.Array(NodeProblemSchema) }),
  pods: Type.Object({ total: count, problems: Type.Array(PodProblemSchema), 'problems-omitted': count }),
  'warning-events': Type.Object({
    /** Warning event objects read (with their `count`s summed in `occurrences`). */
    events: count,
    occurrences: count,
    'untyped-events': count,
    groups: Type.Array(EventGroupSchema),
    'groups-omitted': count,
    reasons: Type.Array(WarningReasonSchema)
  }),
  'persistent-volume-claims': Type.Object({ total: count, pending: Type.Array(PvcProblemSchema) }),
  gather: Type.Object({
    logs: Type.Array(Type.String()),
    failures: Type.Array(GatherFailureSchema),
    'failures-omitted': count
  }),
  coverage: CoverageSchema
})
export type Summary = Static<typeof SummarySchema>

const change = <T extends TSchema>(item: T) => Type.Array(item)

export const ComparisonSchema = Type.Object({
  version: nullable(Type.Object({ earlier: maybeText, later: maybeText })),
  'cluster-id-changed': Type.Boolean(),
  operators: Type.Object({
    /** Newly not available or degraded, or with a new problem, in the later run. */
    'became-unhealthy': change(Type.Object({ name: text, problems: Type.Array(Type.String()), 'earlier-problems': Type.Array(Type.String()), source })),
    recovered: change(Type.Object({ name: text, 'earlier-problems': Type.Array(Type.String()), source: nullable(source) }))
  }),
  nodes: Type.Object({
    'became-not-ready': change(Type.Object({ name: text, problems: Type.Array(Type.String()), source })),
    'new-pressure': change(Type.Object({ name: text, problems: Type.Array(Type.String()), source })),
    recovered: change(Type.Object({ name: text, 'earlier-problems': Type.Array(Type.String()), source: nullable(source) }))
  }),
  pods: Type.Object({
    'started-crash-looping': change(Type.Object({ namespace: text, pod: text, container: maybeText, 'restart-count': count, source })),
    'stopped-crash-looping': change(Type.Object({ namespace: text, pod: text, container: maybeText, 'still-present': Type.Boolean(), source: nullable(source) })),
    'new-problems': change(Type.Object({ namespace: text, pod: text, container: maybeText, problems: Type.Array(Type.String()), source }))
  }),
  'warning-reasons': Type.Object({
    new: change(Type.Object({ reason: text, count })),
    gone: change(Type.Object({ reason: text, 'earlier-count': count })),
    increased: change(Type.Object({ reason: text, 'earlier-count': count, count }))
  }),
  'persistent-volume-claims': Type.Object({
    'became-pending': change(Type.Object({ namespace: text, name: text, source })),
    bound: change(Type.Object({ namespace: text, name: text }))
  }),
  /** Sections one of the two summaries could not read: differences there are unknown, not absent. */
  'not-comparable': Type.Array(Type.String())
})
export type Comparison = Static<typeof ComparisonSchema>
