import { readFileSync, unwatchFile, watchFile } from 'node:fs'
import type { Server } from 'node:https'

import type { Logger } from '../../logger.js'

export interface TlsFiles {
  certFile: string
  keyFile: string
}

export function readTls ({ certFile, keyFile }: TlsFiles): { cert: Buffer, key: Buffer } {
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) }
}

/**
 * Reloads the certificate and key when either file changes (OpenShift's
 * service-serving certificates rotate): new connections get the new pair,
 * open ones are not dropped. Polls with stat, which sees a Secret volume's
 * symlink swap. Returns a function that stops watching.
 */
export function watchTls (server: Server, files: TlsFiles, logger: Logger, intervalMs = 2000): () => void {
  const reload = (): void => {
    try {
      server.setSecureContext(readTls(files))
      logger.info({ certFile: files.certFile }, 'TLS certificate reloaded.')
    } catch (error) {
      // A half-written pair: keep serving the old one, the next change retries.
      logger.warn({ err: error }, 'TLS certificate could not be reloaded; keeping the current one.')
    }
  }
  const options = { interval: intervalMs, persistent: false }
  watchFile(files.certFile, options, reload)
  watchFile(files.keyFile, options, reload)
  return () => {
    unwatchFile(files.certFile, reload)
    unwatchFile(files.keyFile, reload)
  }
}
