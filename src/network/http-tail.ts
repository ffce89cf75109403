export interface HttpTailOptions {
  /** Bounds the whole exchange. */
  readonly signal: AbortSignal;
  /** Bytes asked for from the end of the file, and the most ever read. */
  readonly tailBytes: number;
}

export type TailRead = { readonly text: string; readonly truncated: boolean } | { readonly problem: string };

/**
 * Reads the last `tailBytes` of a file over HTTP with a suffix Range request. A server that
 * ignores Range and sends the whole file is read only while the file fits in `tailBytes`: a
 * 1 GB log is never downloaded to find its last lines. Redirects are not followed.
 */
export async function fetchHttpTail(url: URL, options: HttpTailOptions): Promise<TailRead> {
  const { signal, tailBytes } = options;
  const { request } = await import('undici');
  try {
    const { statusCode, headers, body } = await request(url, {
      method: 'GET',
      signal,
      reset: true,
      headers: { 'user-agent': 'mirrorsync', range: `bytes=-${tailBytes}` },
    });
    if (statusCode === 404) return drop(body, 'not published');
    if (statusCode !== 200 && statusCode !== 206) return drop(body, `HTTP ${statusCode}`);
    const declared = Number(headers['content-length']);
    if (statusCode === 200 && Number.isFinite(declared) && declared > tailBytes) {
      return drop(body, `${declared} bytes and the server ignores Range requests: not read`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > tailBytes) return drop(body, `over ${tailBytes} bytes and the server ignores Range requests: not read`);
      chunks.push(chunk);
    }
    return { text: Buffer.concat(chunks).toString('utf8'), truncated: statusCode === 206 && isPartial(headers['content-range']) };
  } catch (error) {
    if (signal.aborted) return { problem: 'timed out' };
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

// `bytes 100-199/5000`: a tail that starts after byte 0 cut a line in two.
function isPartial(range: string | string[] | undefined): boolean {
  const value = Array.isArray(range) ? range[0] : range;
  const m = value === undefined ? null : /^bytes (\d+)-/.exec(value);
  return m !== null && Number(m[1]) > 0;
}

function drop(body: { on(event: 'error', listener: () => void): unknown; destroy(): void }, problem: string): TailRead {
  body.on('error', () => {});
  body.destroy();
  return { problem };
}
