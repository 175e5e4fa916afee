import { readFileSync } from 'node:fs'

import * as k8s from '@kubernetes/client-node'
import { Ajv } from 'ajv'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding'
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role'
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim'
import { Secret } from 'kubernetes-models/v1/Secret'
import { Service } from 'kubernetes-models/v1/Service'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'

import type { KubeObject } from './kubectl.js'

/**
 * Offline schema validation of what deploy/ builds, in three parts:
 * - the Kubernetes OpenAPI schemas, through kubernetes-models' `.validate()`
 *   (types, required fields, formats);
 * - fields the API does not know, which those schemas let through
 *   (`readinesProbe:` would be silently dropped by the API server): checked
 *   against @kubernetes/client-node's generated models, which list every field;
 * - OpenShift's Route, which neither package has: see schemas/route.openshift.io-v1.json.
 */

interface Kind {
  /** kubernetes-models class; `.validate()` throws on the first violation. */
  model?: new (data: never) => { validate: () => void }
  /** @kubernetes/client-node model name, for unknown fields. */
  fields: string
  namespaced: boolean
}

const KINDS: Record<string, Kind> = {
  'apps/v1 Deployment': { model: Deployment, fields: 'V1Deployment', namespaced: true },
  'v1 Service': { model: Service, fields: 'V1Service', namespaced: true },
  'v1 ServiceAccount': { model: ServiceAccount, fields: 'V1ServiceAccount', namespaced: true },
  'v1 ConfigMap': { model: ConfigMap, fields: 'V1ConfigMap', namespaced: true },
  'v1 PersistentVolumeClaim': { model: PersistentVolumeClaim, fields: 'V1PersistentVolumeClaim', namespaced: true },
  'v1 Secret': { model: Secret, fields: 'V1Secret', namespaced: true },
  'networking.k8s.io/v1 NetworkPolicy': { model: NetworkPolicy, fields: 'V1NetworkPolicy', namespaced: true },
  'policy/v1 PodDisruptionBudget': { model: PodDisruptionBudget, fields: 'V1PodDisruptionBudget', namespaced: true },
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': { model: ClusterRoleBinding, fields: 'V1ClusterRoleBinding', namespaced: false },
  'rbac.authorization.k8s.io/v1 Role': { model: Role, fields: 'V1Role', namespaced: true },
  'rbac.authorization.k8s.io/v1 RoleBinding': { model: RoleBinding, fields: 'V1RoleBinding', namespaced: true },
  'route.openshift.io/v1 Route': { fields: 'Route', namespaced: true }
}

export function isNamespaced (object: KubeObject): boolean {
  return kindOf(object).namespaced
}

function kindOf (object: KubeObject): Kind {
  const kind = KINDS[`${object.apiVersion} ${object.kind}`]
  if (kind === undefined) throw new Error(`no schema for ${object.apiVersion} ${object.kind}: add it to KINDS in test/deploy/validate.ts`)
  return kind
}

/** Every violation found in one object, as `path: message` lines; empty when valid. */
export function validateObject (object: KubeObject): string[] {
  const kind = kindOf(object)
  const problems: string[] = []
  const Model = kind.model
  if (Model !== undefined) {
    try {
      new Model(object as never).validate()
    } catch (error) {
      const errors = (error as { errors?: Array<{ instancePath: string, message?: string }> }).errors
      problems.push(...(errors ?? [{ instancePath: '', message: (error as Error).message }]).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`))
    }
  }
  if (object.kind === 'Route') {
    problems.push(...unknownFields(object.metadata, 'V1ObjectMeta', '.metadata'), ...validateRoute(object))
    const extra = Object.keys(object).filter((key) => !['apiVersion', 'kind', 'metadata', 'spec'].includes(key))
    problems.push(...extra.map((key) => `.${key}: unknown field`))
  } else {
    problems.push(...unknownFields(object, kind.fields, ''))
  }
  return problems
}

const models = k8s as unknown as Record<string, { getAttributeTypeMap?: () => Array<{ baseName: string, type: string }> } | undefined>

/** Paths of fields that the model `type` (a client-node type expression) does not declare. */
function unknownFields (value: unknown, type: string, path: string): string[] {
  if (value === null || typeof value !== 'object') return []
  const array = /^Array<(.+)>$/.exec(type)
  if (array !== null) return Array.isArray(value) ? value.flatMap((item, i) => unknownFields(item, array[1] as string, `${path}[${i}]`)) : []
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type)
  if (map !== null) return Object.entries(value).flatMap(([key, item]) => unknownFields(item, map[1] as string, `${path}.${key}`))
  const attributes = models[type]?.getAttributeTypeMap?.()
  if (attributes === undefined) return [] // string, number, IntOrString, any: nothing below
  return Object.entries(value).flatMap(([key, item]) => {
    const attribute = attributes.find((a) => a.baseName === key)
    return attribute === undefined ? [`${path}.${key}: unknown field`] : unknownFields(item, attribute.type, `${path}.${key}`)
  })
}

const routeSchema = JSON.parse(readFileSync(new URL('schemas/route.openshift.io-v1.json', import.meta.url), 'utf8')) as {
  definitions: Record<string, { required?: string[], properties?: Record<string, unknown>, additionalProperties?: boolean }>
}
const ROUTE_SPEC = 'com.github.openshift.api.route.v1.RouteSpec'

// Where OpenShift 4 differs from that older document: `host` is optional (the router
// assigns one) and `to.weight` defaults to 100. IntOrString was written as a string
// with a format, so an integer port failed. And an unknown field is an error here.
for (const [name, definition] of Object.entries(routeSchema.definitions)) {
  if (name === ROUTE_SPEC) definition.required = (definition.required ?? []).filter((field) => field !== 'host')
  if (name.endsWith('.RouteTargetReference')) definition.required = (definition.required ?? []).filter((field) => field !== 'weight')
  if (definition.properties !== undefined) definition.additionalProperties = false
}
routeSchema.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { anyOf: [{ type: 'string' }, { type: 'integer' }] } as never

const validateRouteSpec = new Ajv({ allErrors: true, strict: false, validateFormats: false })
  .compile({ definitions: routeSchema.definitions, $ref: `#/definitions/${ROUTE_SPEC}` })

function validateRoute (route: KubeObject): string[] {
  if (validateRouteSpec(route.spec)) return []
  return (validateRouteSpec.errors ?? []).map((e) => `/spec${e.instancePath}: ${e.message ?? 'invalid'}${e.params.additionalProperty !== undefined ? ` (${String(e.params.additionalProperty)})` : ''}`)
}
