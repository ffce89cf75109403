import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, normalize, sep } from 'node:path';
import type { Lab } from './lab.js';
import { startLoopbackHttp, type LoopbackHttp } from './loopback-http.js';

export interface FileServerOptions {
  /** The folder served; files are streamed, never loaded whole (a 1 GB file costs nothing). */
  readonly root: string;
  /** Answer every Range request with the whole file (200), as some servers do. */
  readonly ignoreRange?: boolean;
  /** Send headers, then one byte of the body every this many ms (a slow server). */
  readonly dripMs?: number;
}

export interface FileServer {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly port: number;
  requests(): number;
  /** Body bytes handed to sockets so far. */
  bytesSent(): number;
  stop(): Promise<void>;
}

/** A static file server over a lab folder with suffix and plain Range support (206), for what mirrors publish. */
export async function startFileServer(lab: Lab, options: FileServerOptions): Promise<FileServer> {
  let sent = 0;
  // Assigned once listening, before any request can arrive.
  let http: LoopbackHttp | undefined;

  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const rel = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname)).replace(/^[/\\]+/, '');
    const file = join(options.root, rel);
    const inside = file.startsWith(options.root.endsWith(sep) ? options.root : options.root + sep);
    const info = inside ? await lstat(file).catch(() => undefined) : undefined;
    if (info === undefined || !info.isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const range = options.ignoreRange === true ? undefined : parseRange(request.headers.range, info.size);
    const start = range?.start ?? 0;
    const end = range?.end ?? info.size - 1;
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(Math.max(0, end - start + 1)), 'accept-ranges': 'bytes' };
    if (range === undefined) response.writeHead(200, headers);
    else response.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${info.size}` });
    if (info.size === 0) {
      response.end();
      return;
    }
    if (options.dripMs !== undefined) {
      response.flushHeaders();
      let offset = start;
      http?.every(response, options.dripMs, () => {
        const stream = createReadStream(file, { start: offset, end: offset });
        stream.on('data', (chunk) => {
          sent += chunk.length;
          response.write(chunk);
        });
        offset += 1;
        if (offset > end) stream.on('end', () => response.end());
      });
      return;
    }
    const stream = createReadStream(file, { start, end });
    stream.on('data', (chunk) => (sent += chunk.length));
    response.once('close', () => stream.destroy());
    stream.pipe(response);
  };

  http = await startLoopbackHttp(lab, 'file server', answer);
  const { port, requests, stop } = http;
  return { url: `http://127.0.0.1:${port}/`, port, requests, bytesSent: () => sent, stop };
}

// `bytes=-N` (the last N bytes), `bytes=A-` and `bytes=A-B`; anything else is served whole.
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || size === 0) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') return { start: Math.max(0, size - Number(b)), end: size - 1 };
  const start = Number(a);
  if (start >= size) return undefined;
  return { start, end: b === '' ? size - 1 : Math.min(size - 1, Number(b)) };
}
