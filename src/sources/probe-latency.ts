import { connect, isIP, type Socket } from 'node:net';
import { monotonicMs } from '../util/monotonic.js';

export interface LatencyResult {
  /** At least one TCP connect succeeded. */
  readonly reachable: boolean;
  /** Median connect time of the successful samples. */
  readonly medianMs: number | null;
  /** Max minus min of the successful samples. */
  readonly spreadMs: number | null;
  /** Why the last failed attempt failed, for humans ("connection refused"). */
  readonly error?: string;
  /** With `awaitGreeting`: settles when the first connection got rsync's greeting, or could not. */
  readonly greeting?: Promise<Greeting>;
}

/** What the server said first on the first sample's connection. */
export type Greeting = { readonly ok: true } | { readonly ok: false; readonly kind: 'timeout' | 'refused'; readonly message: string };

export interface LatencyOptions {
  /**
   * Keep the first connection open until the server's first line: an rsync daemon greets at once
   * (`@RSYNCD: 31.0`), a listener that never answers does not, and needs no rsync process to be
   * told apart. Waits as long as `signal` allows.
   */
  readonly awaitGreeting?: boolean;
}

/**
 * Measures `samples` sequential TCP connects to host:port. The name is resolved once, so DNS time
 * does not count as latency. Never rejects: an abort ends the measurement with what was measured.
 */
export async function probeLatency(host: string, port: number, samples: number, signal: AbortSignal, options: LatencyOptions = {}): Promise<LatencyResult> {
  const address = await resolve(host, signal);
  if ('error' in address) return { reachable: false, medianMs: null, spreadMs: null, error: address.error };
  const times: number[] = [];
  let error: string | undefined;
  let greeting: Promise<Greeting> | undefined;
  for (let i = 0; i < Math.max(1, samples); i += 1) {
    if (signal.aborted) {
      error ??= 'timed out';
      break;
    }
    const sample = await connectOnce(address.ip, port, signal, options.awaitGreeting === true && i === 0);
    if (typeof sample === 'object' && 'ms' in sample) {
      times.push(sample.ms);
      greeting = sample.greeting;
      continue;
    }
    if (typeof sample === 'number') {
      times.push(sample);
      continue;
    }
    error = sample.error;
    // A refused or unroutable port will not answer the next sample either.
    if (times.length === 0) break;
  }
  const result = summarize(times, error);
  return greeting === undefined ? result : { ...result, greeting };
}

function summarize(times: number[], error: string | undefined): LatencyResult {
  const base = error === undefined ? {} : { error };
  if (times.length === 0) return { reachable: false, medianMs: null, spreadMs: null, ...base };
  const sorted = [...times].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { reachable: true, medianMs: round(median), spreadMs: round(sorted.at(-1)! - sorted[0]!), ...base };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

async function resolve(host: string, signal: AbortSignal): Promise<{ ip: string } | { error: string }> {
  if (isIP(host) !== 0) return { ip: host };
  if (signal.aborted) return { error: 'timed out' };
  // dns.lookup cannot be cancelled: race it against the signal and let it finish in the background.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<{ error: string }>((done) => {
    onAbort = () => done({ error: 'timed out' });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // Loaded only for a host name: most sources are probed by IP or not at all on a no-op.
  const { lookup } = await import('node:dns/promises');
  const looked = lookup(host).then(
    (answer) => ({ ip: answer.address }),
    (error: unknown) => ({ error: describeSocketError(error) }),
  );
  try {
    return await Promise.race([looked, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

type Connected = number | { readonly ms: number; readonly greeting: Promise<Greeting> } | { readonly error: string };

// The time is read in the 'connect' handler, before any other work: the caller keeps the event
// loop free of process spawns while samples are taken, so this is the network's time.
function connectOnce(ip: string, port: number, signal: AbortSignal, awaitGreeting: boolean): Promise<Connected> {
  return new Promise((done) => {
    const started = monotonicMs();
    const socket = connect({ host: ip, port });
    const finish = (result: Connected): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      done(result);
    };
    const onAbort = (): void => finish({ error: 'timed out' });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      const ms = monotonicMs() - started;
      if (!awaitGreeting) return finish(ms);
      signal.removeEventListener('abort', onAbort);
      done({ ms, greeting: readGreeting(socket, signal) });
    });
    socket.once('error', (error) => finish({ error: describeSocketError(error) }));
  });
}

const GREETING = '@RSYNCD:';

function readGreeting(socket: Socket, signal: AbortSignal): Promise<Greeting> {
  return new Promise((done) => {
    let received = '';
    const finish = (greeting: Greeting): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      done(greeting);
    };
    const onAbort = (): void => finish({ ok: false, kind: 'timeout', message: 'no answer' });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.length >= GREETING.length || received.includes('\n')) {
        finish(received.startsWith(GREETING) ? { ok: true } : { ok: false, kind: 'refused', message: `not an rsync daemon: it sent ${JSON.stringify(received.slice(0, 40))}` });
      }
    });
    socket.once('end', () => finish({ ok: false, kind: 'refused', message: 'not an rsync daemon: the connection closed without a greeting' }));
    socket.once('error', (error) => finish({ ok: false, kind: 'refused', message: describeSocketError(error) }));
  });
}

/** A socket or DNS error in the words a mirror operator expects. */
export function describeSocketError(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return 'host not found';
    case 'EAI_AGAIN':
      return 'host not found (temporary DNS failure)';
    case 'EHOSTUNREACH':
      return 'no route to host';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ECONNRESET':
      return 'connection reset';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
