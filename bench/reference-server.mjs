#!/usr/bin/env node
// @ts-check
// Reference servers for the benchmarks, each in its own process like the service:
//   reference-server.mjs json <routes.json>   a minimal Fastify 5 app: each path answers
//                                             its JSON value, held in memory
//   reference-server.mjs files <dir>          a static file server: fs.createReadStream
//                                             (used when nginx cannot be had)
// Both listen on a free 127.0.0.1 port (json: PORT when set) and print "listening on <url>".
import { createReadStream, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { join, normalize } from 'node:path'

import Fastify from 'fastify'

const [mode, arg] = process.argv.slice(2)
if (arg === undefined) throw new Error('usage: reference-server.mjs json <routes.json> | files <dir>')

if (mode === 'json') {
  const routes = /** @type {Record<string, unknown>} */ (JSON.parse(readFileSync(arg, 'utf8')))
  const app = Fastify({ logger: false })
  for (const [path, body] of Object.entries(routes)) app.get(path, async () => body)
  const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
  console.log(`listening on ${address}`)
} else if (mode === 'files') {
  const server = createServer((request, response) => {
    const path = join(arg, normalize(decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/')))
    let size
    try {
      const stat = statSync(path)
      if (!stat.isFile()) throw new Error('not a file')
      size = stat.size
    } catch {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size })
    if (request.method === 'HEAD') response.end()
    else createReadStream(path).pipe(response)
  })
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`)
  })
} else {
  throw new Error(`unknown mode ${mode}`)
}
