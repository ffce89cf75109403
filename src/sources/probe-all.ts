import type { Config, SourceConfig } from '../config/types.js';
import { probeLatency, type Greeting, type LatencyResult } from './probe-latency.js';
import { combineProbe, loadClients, planProbe, readSourceFreshness, unmeasured, type FreshnessRead, type ProbeAllOptions } from './probe.js';
import type { ProbeResult } from './types.js';

/**
 * Freshness reads (each an rsync process, or an HTTP request) running at once. Enough for a
 * network's live sources to be read in one round; few enough that starting them on a 2-core host
 * does not starve the ones already running.
 */
export const READ_CONCURRENCY = 8;

/**
 * Probes every source; results come back in config order. Never rejects.
 *
 * Two phases, so that hundreds of sources rank in about twice probe.timeoutMs and latency
 * measures the network: first only sockets, for every source at once (the connect samples, and
 * on the first connection the daemon's greeting, which tells a live rsync daemon from a port
 * that accepts and never answers, or nothing listening, without starting any process); no
 * process is spawned until every latency sample is taken. Then the freshness reads, the master
 * first, at most READ_CONCURRENCY at a time, and only for sources that greeted; each read's
 * deadline starts when that read starts.
 */
export async function probeAll(config: Config, options: ProbeAllOptions = {}): Promise<ProbeResult[]> {
  await loadClients(config.sources, config);
  const timeoutMs = config.probe.timeoutMs;
  const phaseTimeout = AbortSignal.timeout(timeoutMs);
  const phaseSignal = options.signal === undefined ? phaseTimeout : AbortSignal.any([options.signal, phaseTimeout]);
  const started = performance.now();

  // The master's sockets open first, and its read takes the first free slot.
  const order = [...config.sources].sort((a, b) => Number(b.master) - Number(a.master));
  const measured = order.map((source) => {
    const plan = planProbe(source);
    if ('failure' in plan) return { source, plan, latency: Promise.resolve(unmeasured('no address')) };
    // HTTP servers do not greet: only an rsync port is asked for a greeting.
    const latency = probeLatency(plan.endpoint.host, plan.endpoint.port, config.probe.samples, phaseSignal, { awaitGreeting: plan.address !== undefined });
    return { source, plan, latency };
  });
  // The barrier: every latency sample is taken before the first process starts.
  await Promise.all(measured.map((entry) => entry.latency));

  const slots = new Slots(READ_CONCURRENCY);
  const byName = new Map<string, ProbeResult>();
  await Promise.all(
    measured.map(async ({ source, plan, latency: pending }) => {
      const latency = await pending;
      const parts = { latency, started, timeout: phaseTimeout, signal: phaseSignal, freshnessOnly: false };
      if ('failure' in plan) return finish(combineProbe(source, config, { ...parts, latency, read: plan }));
      const refusal = await greetingRefusal(latency, source);
      if (refusal !== undefined) return finish(combineProbe(source, config, { ...parts, read: refusal }));
      const read = await slots.run(source.master, async () => {
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
        const value = await readSourceFreshness(source, plan.address, config, signal, options.now);
        return { value, timeout, signal };
      });
      return finish(combineProbe(source, config, { ...parts, read: read.value, timeout: read.timeout, signal: read.signal }));
    }),
  );
  return config.sources.map((source) => byName.get(source.name) as ProbeResult);

  function finish(result: ProbeResult): void {
    byName.set(result.name, result);
    options.onResult?.(result);
  }
}

// A source whose rsync port did not greet is not read: no rsync process for a port that accepts
// and never answers. An HTTP-probed source is read anyway (a request is cheap, and the master's
// word over HTTP still counts); combineProbe then notes the rsync port.
async function greetingRefusal(latency: LatencyResult, source: SourceConfig): Promise<FreshnessRead | undefined> {
  if (!latency.reachable) return source.http === undefined ? { failure: { kind: 'unreachable', message: latency.error ?? 'unreachable' } } : undefined;
  const greeting: Greeting = (await latency.greeting) ?? { ok: true };
  if (greeting.ok || source.http !== undefined) return undefined;
  return { failure: { kind: greeting.kind, message: greeting.kind === 'timeout' ? 'no answer' : greeting.message } };
}

/** At most `size` tasks at once; a task marked first jumps the queue (the master). */
class Slots {
  private free: number;
  private readonly queue: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(first: boolean, task: () => Promise<T>): Promise<T> {
    if (this.free === 0) await new Promise<void>((resume) => (first ? this.queue.unshift(resume) : this.queue.push(resume)));
    else this.free -= 1;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next === undefined) this.free += 1;
      else next();
    }
  }
}
