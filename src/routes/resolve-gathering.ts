import type { FastifyRequest } from 'fastify'

import { GatheringNotFoundError } from '../gatherings/errors.js'
import type { Gathering } from '../gatherings/types.js'
import type { GatheringStore } from '../storage/types.js'

export interface Visibility {
  store: Pick<GatheringStore, 'get' | 'findByCustomName'>
  /** `own`: callers see only their executions (cluster-admins see all). */
  visibility: 'all' | 'own'
}

/** Whose executions the caller may see: undefined = everyone's. */
export function visibleOwner (request: FastifyRequest, visibility: Visibility['visibility']): string | undefined {
  return visibility === 'own' && !request.caller.isAdmin ? request.caller.username : undefined
}

/**
 * The execution a route's `:id` names, as the caller may see it: a numeric
 * id or, failing that, a custom name: the newest of the caller's own
 * executions with it, and only when the caller has none, the newest of
 * anyone's the caller may see (so nobody can squat a name another user's UI
 * polls). Another user's execution is "not found" when the caller may not
 * see it, so its existence does not leak.
 */
export async function resolveGathering (request: FastifyRequest, key: string, { store, visibility }: Visibility): Promise<Gathering> {
  const scope = visibleOwner(request, visibility)
  const byId = /^\d{1,15}$/.test(key) ? await store.get(Number(key)) : undefined
  const visible = byId !== undefined && (scope === undefined || byId.createdBy === scope) ? byId : undefined
  const gathering = visible ??
    await store.findByCustomName(key, request.caller.username) ??
    (scope === undefined ? await store.findByCustomName(key) : undefined)
  if (gathering === undefined) throw new GatheringNotFoundError(key)
  return gathering
}
