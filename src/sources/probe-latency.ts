import { connect, isIP } from 'node:net';

export interface LatencyResult {
  /** At least one TCP connect succeeded. */
  readonly reachable: boolean;
  /** Median connect time of the successful samples. */
  readonly medianMs: number | null;
  /** Max minus min of the successful samples. */
  readonly spreadMs: number | null;
  /** Why the last failed attempt failed, for humans ("connection refused"). */
  readonly error?: string;
}

/**
 * Measures `samples` sequential TCP connects to host:port. The name is resolved once, so DNS time
 * does not count as latency. Never rejects: an abort ends the measurement with what was measured.
 */
export async function probeLatency(host: string, port: number, samples: number, signal: AbortSignal): Promise<LatencyResult> {
  const address = await resolve(host, signal);
  if ('error' in address) return { reachable: false, medianMs: null, spreadMs: null, error: address.error };
  const times: number[] = [];
  let error: string | undefined;
  for (let i = 0; i < Math.max(1, samples); i += 1) {
    if (signal.aborted) {
      error ??= 'timed out';
      break;
    }
    const sample = await connectOnce(address.ip, port, signal);
    if (typeof sample === 'number') {
      times.push(sample);
      continue;
    }
    error = sample.error;
    // A refused or unroutable port will not answer the next sample either.
    if (times.length === 0) break;
  }
  return summarize(times, error);
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

function connectOnce(ip: string, port: number, signal: AbortSignal): Promise<number | { error: string }> {
  return new Promise((done) => {
    const started = performance.now();
    const socket = connect({ host: ip, port });
    const finish = (result: number | { error: string }): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      done(result);
    };
    const onAbort = (): void => finish({ error: 'timed out' });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(performance.now() - started));
    socket.once('error', (error) => finish({ error: describeSocketError(error) }));
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
