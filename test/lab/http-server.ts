import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { Lab } from './lab.js';
import { startLoopbackHttp, type LoopbackHttp } from './loopback-http.js';

/** How the server misbehaves; 'normal' serves the file or body plainly. */
export type HttpMode = 'normal' | 'slow' | 'endless' | 'huge' | 'hang' | 'redirect-loop' | 'redirect-file' | 'status-500';

export interface TraceHttpOptions {
  /** Serve files from this folder (404 for missing ones); otherwise every path gets `body`. */
  root?: string;
  /** The body for every path when there is no root; default ''. */
  body?: string;
  /**
   * slow: drips the body a byte every ~200 ms; endless: sends the body, then a newline every
   * second, never ending; huge: the body then an endless fast stream (capped at 8 GiB), stopping
   * when the client goes; hang: takes the request, never answers; redirect-loop: 302 to the same URL;
   * redirect-file: 302 to file:///etc/passwd; status-500: a 500 error.
   */
  mode?: HttpMode;
}

export interface TraceHttpServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  /** Requests received so far, answered or not. */
  requests(): number;
  stop(): Promise<void>;
}

const DRIP_MS = 200;
const HUGE_CAP_BYTES = 8 * 1024 ** 3;
// One fixed chunk, reused for every write: 'huge' costs no memory however long it runs.
const FILLER = Buffer.alloc(64 * 1024, '0123456789abcdef'.repeat(3) + '...............\n');

interface Content {
  status: number;
  body: Buffer;
  headers: Record<string, string>;
}

// Maps the URL path inside root; '..' cannot climb out since the path is normalized first.
async function loadContent(options: TraceHttpOptions, request: IncomingMessage): Promise<Content> {
  if (options.root === undefined) {
    return { status: 200, body: Buffer.from(options.body ?? ''), headers: { 'content-type': 'text/plain' } };
  }
  const urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
  const rel = normalize(urlPath).replace(/^[/\\]+/, '');
  const file = join(options.root, rel);
  const inside = file === options.root || file.startsWith(options.root.endsWith(sep) ? options.root : options.root + sep);
  const info = inside ? await stat(file).catch(() => undefined) : undefined;
  if (info === undefined || !info.isFile()) {
    return { status: 404, body: Buffer.from('not found\n'), headers: { 'content-type': 'text/plain' } };
  }
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(file)) chunks.push(chunk as Buffer);
  const type = extname(file) === '.html' ? 'text/html' : 'text/plain';
  return { status: 200, body: Buffer.concat(chunks), headers: { 'content-type': type, 'last-modified': info.mtime.toUTCString() } };
}

export async function startTraceHttpServer(lab: Lab, options: TraceHttpOptions = {}): Promise<TraceHttpServer> {
  const mode = options.mode ?? 'normal';
  // Assigned once listening, before any request can arrive.
  let http: LoopbackHttp | undefined;
  let port = 0;
  const every = (response: ServerResponse, ms: number, tick: () => void): void => http?.every(response, ms, tick);

  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    switch (mode) {
      case 'hang':
        return;
      case 'redirect-loop':
        response.writeHead(302, { location: `http://127.0.0.1:${port}${request.url ?? '/'}` }).end();
        return;
      case 'redirect-file':
        response.writeHead(302, { location: 'file:///etc/passwd' }).end();
        return;
      case 'status-500':
        response.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
        return;
    }
    const content = await loadContent(options, request);
    if (mode === 'normal' || content.status !== 200) {
      response.writeHead(content.status, { ...content.headers, 'content-length': String(content.body.length) }).end(content.body);
      return;
    }
    if (mode === 'slow') {
      response.writeHead(200, { ...content.headers, 'content-length': String(content.body.length) });
      response.flushHeaders();
      let offset = 0;
      every(response, DRIP_MS, () => {
        if (offset < content.body.length) response.write(content.body.subarray(offset, (offset += 1)));
        if (offset >= content.body.length) response.end();
      });
      return;
    }
    response.writeHead(200, content.headers);
    response.write(content.body);
    if (mode === 'endless') {
      every(response, 1000, () => response.write('\n'));
      return;
    }
    // huge: refill only on 'drain', so a slow reader never makes us buffer.
    let sent = content.body.length;
    const pump = (): void => {
      while (!response.destroyed && sent < HUGE_CAP_BYTES) {
        sent += FILLER.length;
        if (!response.write(FILLER)) {
          response.once('drain', pump);
          return;
        }
      }
      if (!response.destroyed) response.end();
    };
    pump();
  };

  http = await startLoopbackHttp(lab, 'HTTP server', answer);
  port = http.port;
  const { requests, stop } = http;
  return { url: `http://127.0.0.1:${port}/`, port, requests, stop };
}
