import { conditionOf, conditions, type KObject, list, nameOf, str } from '../k8s.js'
import type { ClusterInfo, Condition } from '../types.js'
import { isRecord } from '../yaml-objects.js'

/**
 * Cluster identity: ClusterVersion (ID, version, channel, update state) and
 * Infrastructure (platform). What oc printed in must-gather.logs and the
 * nodes' provider IDs stand in when those resources were not gathered.
 */
export class ClusterCheck {
  #version: { object: KObject; source: string } | null = null
  #infrastructure: { object: KObject; source: string } | null = null
  #printed: { id: string | null; version: string | null; desired: string | null; source: string } | null = null
  #providerPlatform: { platform: string; source: string } | null = null

  acceptClusterVersion (object: KObject, source: string): void {
    // the singleton is named `version`; keep the first one, or replace an odd-named one
    if (this.#version === null || (nameOf(this.#version.object) !== 'version' && nameOf(object) === 'version')) {
      this.#version = { object, source }
    }
  }

  acceptInfrastructure (object: KObject, source: string): void {
    if (this.#infrastructure === null || (nameOf(this.#infrastructure.object) !== 'cluster' && nameOf(object) === 'cluster')) {
      this.#infrastructure = { object, source }
    }
  }

  /** From oc's "ClusterID: ..." and "ClusterVersion: Stable at "4.17.3"" lines. */
  acceptPrinted (id: string | null, version: string | null, desired: string | null, source: string): void {
    this.#printed ??= { id, version, desired, source }
  }

  acceptNodeProvider (providerId: string, source: string): void {
    if (this.#providerPlatform !== null) return
    const scheme = /^([a-z0-9-]+):\/\//i.exec(providerId)?.[1]?.toLowerCase()
    const platform = scheme === undefined ? undefined : PROVIDER_PLATFORMS[scheme]
    if (platform !== undefined) this.#providerPlatform = { platform, source }
  }

  get found (): boolean {
    return this.#version !== null || this.#infrastructure !== null
  }

  result (): ClusterInfo {
    const cv = this.#version?.object
    const history = list(cv, 'status', 'history').filter(isRecord)
    const completed = history.find((h) => str(h, 'state') === 'Completed')
    const newest = history[0]
    let state: string | null = null
    if (newest !== undefined) {
      if (str(newest, 'state') === 'Completed') state = 'Stable'
      else state = history.length > 1 ? 'Updating' : 'Installing'
    }
    const all = conditions(cv)
    const odd: Condition[] = []
    const failing = conditionOf(all, 'Failing')
    if (failing?.status === 'True') odd.push(failing)
    const available = conditionOf(all, 'Available')
    if (available !== undefined && available.status !== 'True') odd.push(available)
    const progressing = conditionOf(all, 'Progressing')
    if (progressing?.status === 'True') odd.push(progressing)

    const id = str(cv, 'spec', 'clusterID')
    const version = (completed ? str(completed, 'version') : null) ?? (cv === undefined ? null : str(cv, 'status', 'desired', 'version'))
    const infra = this.#infrastructure?.object
    const platform = str(infra, 'status', 'platformStatus', 'type') ?? str(infra, 'status', 'platform') ?? str(infra, 'spec', 'platformSpec', 'type')
    return {
      id: id ?? this.#printed?.id ?? null,
      'id-source': id !== null ? this.#version?.source ?? null : (this.#printed?.id ? this.#printed.source : null),
      version: version ?? this.#printed?.version ?? null,
      'desired-version': cv === undefined ? this.#printed?.desired ?? null : str(cv, 'status', 'desired', 'version'),
      'version-source': version !== null ? this.#version?.source ?? null : (this.#printed?.version ? this.#printed.source : null),
      'version-state': state,
      channel: str(cv, 'spec', 'channel'),
      'version-conditions': odd,
      platform: platform ?? this.#providerPlatform?.platform ?? null,
      'platform-source': platform !== null ? this.#infrastructure?.source ?? null : this.#providerPlatform?.source ?? null,
      'infrastructure-name': str(infra, 'status', 'infrastructureName')
    }
  }
}

/** Node providerID schemes and the Infrastructure platform names they stand for. */
const PROVIDER_PLATFORMS: Record<string, string> = {
  aws: 'AWS',
  azure: 'Azure',
  gce: 'GCP',
  vsphere: 'VSphere',
  openstack: 'OpenStack',
  ibm: 'IBMCloud',
  ibmcloud: 'IBMCloud',
  ibmpowervs: 'PowerVS',
  ovirt: 'oVirt',
  kubevirt: 'KubeVirt',
  nutanix: 'Nutanix',
  alicloud: 'AlibabaCloud',
  baremetalhost: 'BareMetal',
  metal3: 'BareMetal',
  external: 'External'
}
