#!/usr/bin/env node
// The demo: the service with the built-in `oc` simulator on 127.0.0.1:8080, so
// every curl example in the README works on a machine with no cluster.
// Run through `npm run demo`, which builds first. Any variable can still be
// overridden from the environment (e.g. PORT=8090 npm run demo).
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const defaults = {
  HOST: '127.0.0.1',
  AUTH_MODE: 'none',
  PORT: '8080',
  OC_PATH: `${root}simulator/oc`,
  DB_PATH: `${root}data/demo/gatherings.db`,
  DATA_DIR: `${root}data/demo/gatherings`
}
for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value
process.stderr.write(`demo: oc is the simulator (${process.env.OC_PATH}); data in ${root}data/demo\n`)
// A computed specifier: dist/ exists only after the build.
const server = '../dist/server.js'
await import(server)
