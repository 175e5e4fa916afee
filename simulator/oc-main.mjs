// @ts-check
// Entry point of the simulated `oc`: command dispatch (`version`, `adm must-gather`,
// help), usage errors, and the Complete -> Validate -> Run sequence of must-gather.
// Behaviour comes from the arguments only, never from environment variables.
import {
  resolveCommand, parseFlags, completeMustGather, validateMustGather,
  GLOBAL_FLAGS, MUST_GATHER_FLAGS, VERSION_FLAGS
} from './args.mjs'
import { Clock, Output, MAIN_PREFIX } from './output.mjs'
import { runMustGather } from './mustgather.mjs'
import { CLIENT_VERSION, KUSTOMIZE_VERSION, CLUSTER_VERSION, KUBERNETES_VERSION } from './cluster.mjs'

const ROOT_HELP = `OpenShift Client

This client helps you develop, build, deploy, and run your applications on any
OpenShift or Kubernetes cluster.

(This is a simulator: only "oc version" and "oc adm must-gather" are implemented.)

Commands:
  adm          Tools for managing a cluster
  version      Print the client and server version information

Usage:
  oc [flags] [options]

Use "oc <command> --help" for more information about a given command.
`

const ADM_HELP = `Administrative Commands

Actions for administering an OpenShift cluster

Maintenance:
  must-gather     Launch a new instance of a pod for gathering debug information

Usage:
  oc adm [flags]

Use "oc adm <command> --help" for more information about a given command.
`

const MUST_GATHER_HELP = `Launch a pod to gather debugging information.

 This command will launch a pod in a temporary namespace on your cluster that gathers debugging information and then
downloads the gathered information.

Examples:
  # Gather information using the default plug-in image and command, writing into ./must-gather.local.<rand>
  oc adm must-gather

  # Gather information with a specific local folder to copy to
  oc adm must-gather --dest-dir=/local/directory

  # Gather audit information
  oc adm must-gather -- /usr/bin/gather_audit_logs

  # Gather information using multiple plug-in images
  oc adm must-gather --image=quay.io/kubevirt/must-gather --image=quay.io/openshift/origin-must-gather

  # Gather information using a specific image stream plug-in
  oc adm must-gather --image-stream=openshift/must-gather:latest

  # Gather information using a specific image, command, and pod directory
  oc adm must-gather --image=my/image:tag --source-dir=/pod/directory -- myspecial-command.sh

Options:
    --all-images=false:
\tCollect must-gather using the default image for all Operators on the cluster annotated with
\toperators.openshift.io/must-gather-image

    --dest-dir='':
\tSet a specific directory on the local machine to write gathered data to.

    --host-network=false:
\tRun must-gather pods as hostNetwork: true - relevant if a specific command and image needs to capture host-level
\tdata

    --image=[]:
\tSpecify a must-gather plugin image to run. If not specified, OpenShift's default must-gather image will be used.

    --image-stream=[]:
\tSpecify an image stream (namespace/name:tag) containing a must-gather plugin image to run.

    --node-name='':
\tSet a specific node to use - by default a random master will be used

    --node-selector='':
\tSet a specific node selector to use - only relevant when specifying a command and image which needs to capture
\tdata on a set of cluster nodes simultaneously

    --run-namespace='':
\tAn existing privileged namespace where must-gather pods should run. If not specified a temporary namespace will be
\tgenerated.

    --since=0s:
\tOnly return logs newer than a relative duration like 5s, 2m, or 3h. Defaults to all logs.

    --since-time='':
\tOnly return logs after a specific date (RFC3339). Defaults to all logs.

    --source-dir='/must-gather/':
\tSet the specific directory on the pod copy the gathered data from.

    --timeout='10m':
\tThe length of time to gather data, like 5s, 2m, or 3h, higher than zero. Defaults to 10 minutes.

    --volume-percentage=30:
\tSpecify maximum percentage of must-gather pod's allocated volume that can be used. If this limit is exceeded,
\tmust-gather will stop gathering, but still copy gathered data.

Usage:
  oc adm must-gather [flags] [-- COMMAND [ARGS...]]

Use "oc options" for a list of global command-line options (applies to all commands).
`

/** @param {string} text */
const writeErr = (text) => { process.stderr.write(text) }

/**
 * `oc version [--client] [-o json|yaml]`.
 * @param {boolean} clientOnly
 * @param {string} output
 * @returns {number}
 */
function printVersion (clientOnly, output) {
  const client = {
    major: '',
    minor: '',
    gitVersion: CLIENT_VERSION,
    gitCommit: '6f2b9e4c1d8a7b3e5f0c2d4a6b8e1f3a5c7d9e0b',
    gitTreeState: 'clean',
    buildDate: '2024-10-15T08:22:51Z',
    goVersion: 'go1.22.7 (Red Hat 1.22.7-1.el9_5) X:strictfipsruntime',
    compiler: 'gc',
    platform: 'linux/amd64'
  }
  /** @type {Record<string, unknown>} */
  const doc = { clientVersion: client, kustomizeVersion: KUSTOMIZE_VERSION }
  if (!clientOnly) {
    doc.serverVersion = { ...client, major: '1', minor: '30', gitVersion: KUBERNETES_VERSION, gitCommit: '3e1b3c1f4a9d8e7c6b5a4f3e2d1c0b9a8f7e6d5c', goVersion: 'go1.22.7 (Red Hat 1.22.7-1.el9_5) X:strictfipsruntime' }
    doc.openshiftVersion = CLUSTER_VERSION
  }
  if (output === 'json') {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n')
  } else if (output === 'yaml') {
    /** @type {(o: Record<string, unknown>, indent: string) => string} */
    const yaml = (o, indent) => Object.entries(o).map(([k, v]) => typeof v === 'object' && v !== null
      ? `${indent}${k}:\n${yaml(/** @type {Record<string, unknown>} */ (v), indent + '  ')}`
      : `${indent}${k}: ${v === '' ? '""' : /^[\d.]+$/.test(String(v)) ? `"${v}"` : String(v)}\n`).join('')
    process.stdout.write(yaml(doc, ''))
  } else if (output === '') {
    let text = `Client Version: ${CLIENT_VERSION}\nKustomize Version: ${KUSTOMIZE_VERSION}\n`
    if (!clientOnly) text += `Server Version: ${CLUSTER_VERSION}\nKubernetes Version: ${KUBERNETES_VERSION}\n`
    process.stdout.write(text)
  } else {
    writeErr("error: --output must be 'yaml' or 'json'\n")
    return 1
  }
  return 0
}

/**
 * @param {string[]} argv arguments after the program name
 * @param {Clock} clock
 * @returns {Promise<{ code: number, out: Output | null }>}
 */
async function main (argv, clock) {
  const resolved = resolveCommand(argv)
  switch (resolved.command) {
    case 'root':
    case 'help':
      process.stdout.write(ROOT_HELP)
      return { code: 0, out: null }
    case 'unknown':
      writeErr(`error: unknown command "${resolved.unknownWord}" for "${resolved.parentPath}"\n`)
      return { code: 1, out: null }
    case 'adm': {
      const parsed = parseFlags(resolved.rest, GLOBAL_FLAGS)
      if (!('error' in parsed) && parsed.values.get('help') === true) {
        process.stdout.write(ADM_HELP)
        return { code: 0, out: null }
      }
      writeErr(ADM_HELP)
      return { code: 1, out: null }
    }
    case 'version': {
      const parsed = parseFlags(resolved.rest, [...GLOBAL_FLAGS, ...VERSION_FLAGS])
      if ('error' in parsed) {
        writeErr(`error: ${parsed.error}\nSee 'oc version --help' for usage.\n`)
        return { code: 1, out: null }
      }
      if (parsed.values.get('help') === true) {
        process.stdout.write('Print the client and server version information for the current context.\n\nUsage:\n  oc version [flags] [options]\n\nOptions:\n    --client=false:\n\tIf true, shows client version only (no server required).\n\n    -o, --output=\'\':\n\tOne of \'yaml\' or \'json\'.\n')
        return { code: 0, out: null }
      }
      const output = parsed.values.get('output')
      return { code: printVersion(parsed.values.get('client') === true, typeof output === 'string' ? output : ''), out: null }
    }
    case 'must-gather': {
      const parsed = parseFlags(resolved.rest, [...GLOBAL_FLAGS, ...MUST_GATHER_FLAGS])
      if ('error' in parsed) {
        writeErr(`error: ${parsed.error}\nSee 'oc adm must-gather --help' for usage.\n`)
        return { code: 1, out: null }
      }
      if (parsed.values.get('help') === true) {
        process.stdout.write(MUST_GATHER_HELP)
        return { code: 0, out: null }
      }
      const warn = (/** @type {string} */ line) => writeErr(line + '\n')
      const completed = completeMustGather(parsed, warn)
      if ('error' in completed) {
        writeErr(`error: ${completed.error}\n`)
        return { code: 1, out: null }
      }
      const opts = completed.options
      const out = new Output(process.stdout, clock)
      // Like the real oc, the image line is printed by Complete, before Validate.
      const usingLine = `Using must-gather plug-in image: ${opts.images.map((i) => i.spec).join(', ')}`
      out.out(MAIN_PREFIX, usingLine)
      const invalid = validateMustGather(opts, warn)
      if (invalid !== null) {
        writeErr(`error: ${invalid}\n`)
        return { code: 1, out }
      }
      return { code: await runMustGather(opts, out, clock, usingLine), out }
    }
  }
}

const clock = new Clock()
const { code, out } = await main(process.argv.slice(2), clock)
if (out !== null) await out.drain()
process.exitCode = code
