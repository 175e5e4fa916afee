/**
 * The environment `oc` runs with: an allow-list taken from the service's own
 * environment. Anything else the service holds (database settings, tokens,
 * secrets mounted as variables) never reaches the child.
 */
const ALLOWED = [
  'PATH', 'HOME', 'KUBECONFIG', 'TZ', 'LANG', 'LANGUAGE',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
  // oc's in-cluster configuration needs these two (the token itself is a file).
  'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'
]

export function ocEnvironment (source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && (ALLOWED.includes(name) || name.startsWith('LC_'))) env[name] = value
  }
  return env
}
