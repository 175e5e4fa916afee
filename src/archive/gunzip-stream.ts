import { pipeline, type Readable, type Transform } from 'node:stream'
import { createGunzip } from 'node:zlib'

/**
 * The inflated bytes of `source` through `through` stages: unlike `.pipe()`, an
 * error anywhere (an unreadable file, a corrupt stream) ends the result with
 * that error instead of leaving its reader waiting.
 */
export function gunzipStream (source: Readable, ...through: Transform[]): Readable {
  // Output in large chunks: fewer of them to cut into blocks and parse.
  const gunzip = createGunzip({ chunkSize: 256 * 1024 })
  pipeline([source, ...through, gunzip], (error) => { if (error) gunzip.destroy(error) })
  return gunzip
}
