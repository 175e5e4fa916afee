import type { GatheringOptions } from './types.js'

/**
 * The argument array for one run. Every user value is passed either in
 * `--flag=value` form (so it can never be read as a flag of its own) or after
 * `--`; the process is spawned without a shell.
 */
export function buildOcArgs (options: GatheringOptions, destDir: string): string[] {
  const args = ['adm', 'must-gather', `--dest-dir=${destDir}`]
  const flag = (name: string, value: string | number | boolean | null): void => {
    if (value === '' || value === null || value === false) return
    args.push(`--${name}=${String(value)}`)
  }
  for (const image of options.images) flag('image', image)
  for (const stream of options.imageStreams) flag('image-stream', stream)
  flag('all-images', options.allImages)
  flag('node-name', options.nodeName)
  flag('node-selector', options.nodeSelector)
  flag('host-network', options.hostNetwork)
  flag('source-dir', options.sourceDir)
  flag('timeout', options.timeout)
  flag('since', options.since)
  flag('since-time', options.sinceTime)
  flag('run-namespace', options.runNamespace)
  flag('volume-percentage', options.volumePercentage)
  flag('keep', options.keep)
  flag('server', options.server)
  if (options.command.length > 0) args.push('--', ...options.command)
  return args
}
