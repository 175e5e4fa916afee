import { RequestNotAllowedError } from './errors.js'
import type { GatheringOptions } from './types.js'

/**
 * What a caller may ask oc to do when oc runs with the service's own
 * identity (OC_CREDENTIALS=service). There a command, a source directory or
 * a kept namespace acts with the service account's rights, not the
 * caller's: a command could bind cluster-admin to the caller, `source-dir`
 * could copy out the service account's token. So these are refused unless
 * the operator allowed them.
 */
export interface ArgumentPolicy {
  /** True in service mode; in caller mode oc can do only what the caller could, and nothing is refused here. */
  enforced: boolean
  /** ALLOWED_COMMANDS: patterns a command must match; `*` stands for one word (see commandPattern). */
  allowedCommands: string[]
  allowSourceDir: boolean
  allowKeep: boolean
  allowHostNetwork: boolean
  allowNodeName: boolean
  allowRunNamespace: boolean
}

/** Throws RequestNotAllowedError (403) naming the first field the policy does not allow. */
export function checkArgumentPolicy (options: GatheringOptions, policy: ArgumentPolicy): void {
  if (!policy.enforced) return
  if (options.command.length > 0) {
    const command = options.command.join(' ')
    if (!policy.allowedCommands.some((pattern) => commandPattern(pattern).test(command))) {
      throw new RequestNotAllowedError('command', (name) => policy.allowedCommands.length === 0
        ? `${name} is not allowed: oc runs with the service's own credentials (OC_CREDENTIALS=service) and no ALLOWED_COMMANDS are set`
        : `${name} "${command}" is not allowed on this service (ALLOWED_COMMANDS: ${policy.allowedCommands.join(', ')})`)
    }
  }
  const switches: Array<[keyof GatheringOptions, boolean, string]> = [
    ['sourceDir', options.sourceDir !== '' && !policy.allowSourceDir, 'ALLOW_SOURCE_DIR'],
    ['keep', options.keep && !policy.allowKeep, 'ALLOW_KEEP'],
    ['hostNetwork', options.hostNetwork && !policy.allowHostNetwork, 'ALLOW_HOST_NETWORK'],
    ['nodeName', options.nodeName !== '' && !policy.allowNodeName, 'ALLOW_NODE_NAME'],
    ['runNamespace', options.runNamespace !== '' && !policy.allowRunNamespace, 'ALLOW_RUN_NAMESPACE']
  ]
  for (const [field, refused, setting] of switches) {
    if (refused) {
      throw new RequestNotAllowedError(field, (name) =>
        `${name} is not allowed: oc runs with the service's own credentials (OC_CREDENTIALS=service); an operator can allow it with ${setting}=true`)
    }
  }
}

/**
 * A command pattern as a whole-string match. `*` stands for one word of
 * letters, digits and `_ . : / = @ % + , -`: never a space, a quote or a
 * character bash treats specially, since a string command is run by bash in
 * the pod (`PLAN=* /usr/bin/targeted` must not admit `PLAN=x; curl … | sh;`).
 */
export function commandPattern (pattern: string): RegExp {
  const parts = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${parts.join('[\\w.:/=@%+,-]+')}$`)
}
