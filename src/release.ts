import { createRequire } from 'node:module'

/** This release's version (package.json), the same from src/ (tests) and dist/. */
export const SERVICE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version
