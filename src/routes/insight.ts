import type { ArchiveInsight } from '../gatherings/archive-insight.js'
import { GatheringError } from '../gatherings/errors.js'
import type { Gathering } from '../gatherings/types.js'
import { compare, type Summary } from '../insight/index.js'
import { ComparisonSchema, SummarySchema } from '../insight/types.js'
import { Type, type TypedPlugin } from '../schemas/builder.js'
import { ErrorResponseSchema, GatheringParamsSchema } from '../schemas/gathering.js'
import { resolveGathering, type Visibility } from './resolve-gathering.js'

export interface InsightRoutesOptions extends Visibility {
  insight: ArchiveInsight
}

/** An execution has no summary (yet): 404, saying why. */
class SummaryNotFoundError extends GatheringError {
  constructor (g: Gathering) {
    const why = g.status === 'new' || g.status === 'inprogress'
      ? 'it has not finished yet'
      : g.archiveName === '' && g.expiredAt === null ? 'nothing was gathered' : 'none was made (or it is still being made for an archive from before summaries)'
    super(`must-gather execution ${g.id} has no summary: ${why}`, 'GATHERING_NOT_FOUND')
  }
}

const errors = Object.fromEntries([400, 401, 403, 404, 503].map((status) => [status, ErrorResponseSchema]))

/** What a must-gather says, without downloading it: the cluster summary, and what changed since another run. */
export const insightRoutes: TypedPlugin<InsightRoutesOptions> = async (app, opts) => {
  const summaryOf = async (g: Gathering): Promise<Summary> => {
    const summary = await opts.insight.summary(g.id)
    if (summary === undefined) throw new SummaryNotFoundError(g)
    return summary
  }

  app.get('/must-gather/:id/summary', {
    schema: {
      tags: ['insight'],
      summary: 'The cluster\'s health as the gathered files show it',
      description: 'Computed when the execution completes: cluster ID, version and platform; operators, nodes and pods that are not well; ' +
        'warning events; pending PVCs; failed gather steps. Every finding names the file it came from (a path /files accepts). ' +
        '`coverage` says what could be read.',
      params: GatheringParamsSchema,
      response: { 200: SummarySchema, ...errors }
    }
  }, async (request) => await summaryOf(await resolveGathering(request, request.params.id, opts)))

  app.get('/must-gather/:id/compare/:other', {
    schema: {
      tags: ['insight'],
      summary: 'What changed from :other (the earlier run) to :id',
      description: 'Operators that became degraded or recovered, pods that started crash-looping, new warning reasons, nodes, versions.',
      params: Type.Object({ id: Type.String(), other: Type.String({ description: 'The earlier execution: numeric id or custom name' }) }),
      response: { 200: ComparisonSchema, ...errors }
    }
  }, async (request) => {
    const later = await resolveGathering(request, request.params.id, opts)
    const earlier = await resolveGathering(request, request.params.other, opts)
    return compare(await summaryOf(earlier), await summaryOf(later))
  })
}
