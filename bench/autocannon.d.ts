// The part of autocannon 9's API the benchmarks use (it ships no types).
declare module 'autocannon' {
  interface Options {
    url: string
    connections?: number
    duration?: number
    amount?: number
    overallRate?: number
    timeout?: number
    headers?: Record<string, string>
  }
  interface Histogram {
    average: number
    mean: number
    total: number
    p50: number
    p99: number
  }
  interface Result {
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    latency: Histogram
    requests: Histogram
    throughput: Histogram
  }
  interface Instance {
    stop: () => void
  }
  function autocannon (options: Options, callback: (error: Error | null, result: Result) => void): Instance
  export default autocannon
}
