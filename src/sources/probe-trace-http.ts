import { describeSocketError } from './probe-latency.js';
import type { ProbeFailureKind } from './types.js';

export interface HttpTraceOptions {
  /** Bounds the whole exchange: connect, redirects and body. */
  readonly signal: AbortSignal;
  /** Largest body read; a larger one is abandoned as soon as it shows. Default 64 KiB. */
  readonly maxBytes?: number;
  /** Redirects followed before giving up. Default 3. */
  readonly maxRedirects?: number;
}

export type TraceFetch = { readonly text: string } | { readonly failure: { readonly kind: ProbeFailureKind; readonly message: string } };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Fetches `<baseUrl>/<tracePath>` with undici, following redirects by hand and never buffering past maxBytes. */
export async function fetchTraceOverHttp(baseUrl: string, tracePath: string, options: HttpTraceOptions): Promise<TraceFetch> {
  const { signal, maxBytes = 64 * 1024, maxRedirects = 3 } = options;
  let url: URL;
  try {
    url = traceUrl(baseUrl, tracePath);
  } catch {
    return fail('http-error', 'invalid http base URL');
  }
  if (!isHttp(url)) return fail('http-error', `not an http(s) URL: ${url.protocol}`);
  // Loaded here, not at the top: the CLI pays undici's load time only when a source has http.
  const { request } = await import('undici');
  const seen = new Set<string>();
  try {
    for (let hop = 0; ; hop += 1) {
      if (seen.has(url.href)) return fail('http-error', 'redirect loop');
      seen.add(url.href);
      const response = await request(url, { method: 'GET', signal, reset: true, headers: { 'user-agent': 'mirrorsync' } });
      const { statusCode, headers, body } = response;
      if (REDIRECTS.has(statusCode)) {
        discard(body);
        const location = headers.location;
        const target = Array.isArray(location) ? location[0] : location;
        if (target === undefined) return fail('http-error', `HTTP ${statusCode} without a Location`);
        if (hop >= maxRedirects) return fail('http-error', `more than ${maxRedirects} redirects`);
        const next = new URL(target, url);
        if (!isHttp(next)) return fail('http-error', `refused a redirect to a ${next.protocol} URL`);
        if (!isSameOrigin(url, next)) return fail('http-error', 'refused a redirect to another host or port');
        url = next;
        continue;
      }
      if (statusCode < 200 || statusCode > 299) {
        discard(body);
        return fail('http-error', `HTTP ${statusCode}`);
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        discard(body);
        return fail('http-error', `trace over ${formatBytes(maxBytes)} (Content-Length ${declared})`);
      }
      return await readCapped(body, maxBytes);
    }
  } catch (error) {
    if (signal.aborted) return fail('timeout', 'timed out');
    return classify(error);
  }
}

async function readCapped(body: AsyncIterable<Buffer> & Parameters<typeof discard>[0], maxBytes: number): Promise<TraceFetch> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      discard(body);
      return fail('http-error', `trace over ${formatBytes(maxBytes)}`);
    }
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
}

// Destroying an undici body makes it emit 'Request aborted': nobody waits for that error here.
function discard(body: { on(event: 'error', listener: () => void): unknown; destroy(): void }): void {
  body.on('error', () => {});
  body.destroy();
}

function traceUrl(baseUrl: string, tracePath: string): URL {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const relative = tracePath.split('/').filter((part) => part !== '').map(encodeURIComponent).join('/');
  return new URL(relative, base);
}

// A source may move its trace within its own server (and upgrade to https), never elsewhere: a
// redirect to another host would make mirrorsync fetch, and quote in its reports, a URL of the
// source's choosing, such as a service on the mirror host's own network.
function isSameOrigin(from: URL, to: URL): boolean {
  if (from.hostname.toLowerCase() !== to.hostname.toLowerCase()) return false;
  if (from.protocol === to.protocol) return from.port === to.port;
  return from.protocol === 'http:' && to.protocol === 'https:' && from.port === '' && to.port === '';
}

function isHttp(url: URL): boolean {
  return url.protocol === 'http:' || url.protocol === 'https:';
}

function classify(error: unknown): TraceFetch {
  const code = errorCode(error) ?? errorCode(error instanceof Error ? error.cause : undefined);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return fail('timeout', 'timed out');
  }
  if (code !== undefined && /^(ECONNREFUSED|ENOTFOUND|EAI_|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)/.test(code)) {
    return fail('unreachable', describeSocketError({ code }));
  }
  const message = error instanceof Error ? error.message : String(error);
  return fail('http-error', code === undefined ? message : `${message} (${code})`);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function fail(kind: ProbeFailureKind, message: string): TraceFetch {
  return { failure: { kind, message } };
}

function formatBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}
