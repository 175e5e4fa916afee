import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * A worker thread running one of this code base's modules, `name` beside the
 * caller (`from`: its import.meta.url): the built `.js` file, or, when the code
 * runs from its TypeScript sources (tests and `npm run dev`, through tsx), the
 * `.ts` file with tsx registered in the thread first: on Node 20, tsx's hooks
 * reach the main thread only.
 */
export function startModuleWorker (from: string, name: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options)
  const tsx = import.meta.resolve('tsx/esm/api')
  const entry = new URL(`./${name}.ts`, from).href
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(code, { ...options, eval: true })
}
