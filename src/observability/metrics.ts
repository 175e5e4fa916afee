import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** What the runner reports as gatherings move through their lifecycle. */
export interface GatheringMetrics {
  finished (status: 'completed' | 'error', durationSeconds: number, archiveBytes: number): void
}

export interface MetricsSources {
  queued: () => number
  running: () => number
  /** Bytes of archives on disk (read from the store). */
  storageBytes: () => Promise<number>
  /** MAX_STORAGE, when set. */
  storageLimitBytes?: number
  /** The response cache's size and lookups so far. */
  responseCache?: () => { bytes: number, hits: number, misses: number }
}

/**
 * The service's Prometheus metrics, in their own registry (so tests can build
 * several apps in one process). Gauges are read when scraped, not kept up to date.
 */
/** How often the event-loop lag is sampled (see the constructor). */
const EVENT_LOOP_SAMPLE_MS = 100

export class ServiceMetrics implements GatheringMetrics {
  readonly registry = new Registry()
  readonly #executions: Counter<'status'>
  readonly #duration: Histogram
  readonly #archiveSize: Histogram
  readonly #http: Histogram<'method' | 'route' | 'status_code'>
  readonly #downloadBytes: Counter
  /** Read on each scrape. */
  readonly #readOnScrape: Array<Gauge | Counter>

  constructor (sources: MetricsSources) {
    const registers = [this.registry]
    // The event-loop lag histogram samples on a timer: prom-client's default of every 10 ms woke the
    // idle service 100 times a second, 0.8 % of a core doing nothing (0.2 % at 100 ms, measured over
    // 40 s each). Stalls an API client notices are longer than 100 ms anyway.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS })
    this.#executions = new Counter({ name: 'must_gather_executions_total', help: 'Executions that reached a final status.', labelNames: ['status'], registers })
    this.#duration = new Histogram({
      name: 'must_gather_execution_duration_seconds',
      help: 'From start to final status (oc run plus packing).',
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
      registers
    })
    this.#archiveSize = new Histogram({
      name: 'must_gather_archive_size_bytes',
      help: 'Size of the archives produced.',
      buckets: [1e5, 1e6, 1e7, 1e8, 5e8, 1e9, 5e9, 1e10, 5e10],
      registers
    })
    this.#http = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route and status.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers
    })
    this.#downloadBytes = new Counter({ name: 'must_gather_download_bytes_total', help: 'Archive bytes sent to clients.', registers })
    const gauge = (name: string, help: string, read: () => number | Promise<number>): Gauge =>
      new Gauge({ name, help, registers, async collect () { this.set(await read()) } })
    // Counts kept elsewhere (monotonic), copied in when scraped.
    const counted = (name: string, help: string, read: () => number): Counter =>
      new Counter({ name, help, registers, collect () { this.reset(); this.inc(read()) } })
    const cache = sources.responseCache
    this.#readOnScrape = [
      gauge('must_gather_queue_length', 'Executions waiting to run.', sources.queued),
      gauge('must_gather_running', 'Executions running now.', sources.running),
      gauge('must_gather_storage_bytes', 'Bytes of archives kept on disk.', sources.storageBytes),
      ...(sources.storageLimitBytes !== undefined
        ? [gauge('must_gather_storage_limit_bytes', 'MAX_STORAGE: archives kept on disk at most.', () => sources.storageLimitBytes ?? 0)]
        : []),
      ...(cache !== undefined
        ? [
            gauge('must_gather_response_cache_bytes', 'Bytes of JSON answers kept while unchanged (RESPONSE_CACHE_SIZE).', () => cache().bytes),
            counted('must_gather_response_cache_hits_total', 'Answers served from the response cache.', () => cache().hits),
            counted('must_gather_response_cache_misses_total', 'Answers the response cache did not hold (built anew).', () => cache().misses)
          ]
        : [])
    ]
  }

  finished (status: 'completed' | 'error', durationSeconds: number, archiveBytes: number): void {
    this.#executions.inc({ status })
    this.#duration.observe(durationSeconds)
    if (archiveBytes > 0) this.#archiveSize.observe(archiveBytes)
  }

  request (method: string, route: string, statusCode: number, seconds: number): void {
    this.#http.observe({ method, route, status_code: String(statusCode) }, seconds)
  }

  downloaded (bytes: number): void {
    this.#downloadBytes.inc(bytes)
  }
}
