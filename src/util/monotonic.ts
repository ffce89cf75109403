/**
 * Milliseconds on a monotonic clock, for durations. The global `performance` would do the same but
 * loads perf_hooks (a dozen internal modules) on first touch, which a no-op run does not need.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
