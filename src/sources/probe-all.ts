import { setMaxListeners } from 'node:events';
import type { Config, SourceConfig } from '../config/types.js';
import { probeLatency, type Greeting, type LatencyResult } from './probe-latency.js';
import { combineProbe, keepTraceCopy, loadClients, planProbe, readSourceFreshness, unmeasured, type FreshnessRead, type ProbeAllOptions } from './probe.js';
import type { ProbeResult } from './types.js';
import { monotonicMs } from '../util/monotonic.js';

/**
 * Freshness reads (each an rsync process, or an HTTP request) running at once. Enough for a
 * network's live sources to be read in one round; few enough that starting them on a 2-core host
 * does not starve the ones already running.
 */
export const READ_CONCURRENCY = 8;

/** A new latency worker joins this often while sources wait to be measured. */
const LATENCY_RAMP_MS = 20;

/**
 * Probes every source; results come back in config order. Never rejects.
 *
 * Two phases, so that hundreds of sources rank in about twice probe.timeoutMs and latency
 * measures the network: first only sockets (the connect samples, and on the first connection the
 * daemon's greeting, which tells a live rsync daemon from a port that accepts and never answers,
 * or nothing listening, without starting any process), ramped up from one source at a time (see
 * rampedPool); no process is spawned until every latency sample is taken. Then the freshness
 * reads, the master first, at most READ_CONCURRENCY at a time, and only for sources that
 * greeted. Every deadline starts when its own step starts.
 */
export async function probeAll(config: Config, options: ProbeAllOptions = {}): Promise<ProbeResult[]> {
  await loadClients(config.sources, config);
  const timeoutMs = config.probe.timeoutMs;
  const caller = linked(options.signal);
  // Each deadline starts when its own step starts: a source measured late is not short-changed.
  const deadline = () => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return { timeout, signal: AbortSignal.any([caller, timeout]) };
  };
  const started = monotonicMs();

  // The master is measured first, and its read takes the first free slot.
  const order = [...config.sources].sort((a, b) => Number(b.master) - Number(a.master));
  const measured = await rampedPool(order, LATENCY_RAMP_MS, async (source) => {
    const plan = planProbe(source);
    const limits = deadline();
    if ('failure' in plan) return { source, plan, limits, latency: unmeasured('no address') };
    // HTTP servers do not greet: only an rsync port is asked for a greeting.
    const latency = await probeLatency(plan.endpoint.host, plan.endpoint.port, config.probe.samples, limits.signal, { awaitGreeting: plan.address !== undefined });
    return { source, plan, limits, latency };
  });

  const slots = new Slots(READ_CONCURRENCY);
  const byName = new Map<string, ProbeResult>();
  await Promise.all(
    measured.map(async ({ source, plan, limits, latency }) => {
      const parts = { latency, started, ...limits, freshnessOnly: false };
      if ('failure' in plan) return finish(combineProbe(source, config, { ...parts, read: plan }));
      const refusal = await greetingRefusal(latency, source);
      if (refusal !== undefined) return finish(combineProbe(source, config, { ...parts, read: refusal }));
      const known = options.known?.get(source.name);
      if (known !== undefined) return finish(combineProbe(source, config, { ...parts, read: { freshness: known } }));
      const read = await slots.run(source.master, async () => {
        const own = deadline();
        return { ...own, value: await readSourceFreshness(source, plan.address, config, own.signal, options.now) };
      });
      keepTraceCopy(options.traceCopies, source, read.value);
      return finish(combineProbe(source, config, { ...parts, read: read.value, timeout: read.timeout, signal: read.signal }));
    }),
  );
  return config.sources.map((source) => byName.get(source.name) as ProbeResult);

  function finish(result: ProbeResult): void {
    byName.set(result.name, result);
    options.onResult?.(result);
  }
}

/**
 * Latency samples start one source at a time; every `rampMs`, one more worker joins when the pool
 * finished fewer sources than it has workers (they wait on round trips, not on this host). On
 * loopback or any fast network one worker measures everything, so no connect waits behind
 * another's callbacks or behind the forks it causes (on loopback the daemons fork on this host's
 * cores: 20 connects at once read 50 ms where one at a time reads 0.1 ms). On a slow network the
 * workers ramp up, so hundreds of sources are measured within about a second of round trips.
 */
async function rampedPool<T, R>(items: readonly T[], rampMs: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let finished = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) {
      results[index] = await task(items[index] as T);
      finished += 1;
    }
  };
  const workers = [worker()];
  let finishedBefore = 0;
  const ramp = setInterval(() => {
    if (next >= items.length) return clearInterval(ramp);
    if (finished - finishedBefore < workers.length) workers.push(worker());
    finishedBefore = finished;
  }, rampMs);
  try {
    // Workers join while earlier ones run: wait until the last one started has ended.
    for (let done = 0; done < workers.length; done += 1) await workers[done];
  } finally {
    clearInterval(ramp);
  }
  return results;
}

// One listener on the caller's signal, however many sources: Node warns past 10 per signal.
function linked(signal: AbortSignal | undefined): AbortSignal {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  if (signal?.aborted === true) controller.abort(signal.reason);
  else signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller.signal;
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
