import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTree, startTraceHttpServer, closedPort, useLab, type Lab } from '../lab/index.js';
import { fetchTraceOverHttp } from '../../src/sources/probe-trace-http.js';
import { probeSource } from '../../src/sources/probe.js';
import { parseTrace } from '../../src/sources/trace-format.js';
import { probeConfig, source } from './probe-config.js';

const TRACE = 'zzz/timestamp.html';
const PUBLISHED = new Date('2024-05-18T15:25:00Z');
const NOW = new Date('2024-06-01T00:00:00Z');

async function servedTree(lab: Lab): Promise<string> {
  await makeTree(lab.path('tree'), { files: 1, trace: { path: TRACE, at: PUBLISHED, format: 'sage' } });
  return lab.path('tree');
}

describe('fetchTraceOverHttp', () => {
  test('normal: the Sage page is read and parses', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { root: await servedTree(lab) });
    const read = await fetchTraceOverHttp(server.url, TRACE, { signal: AbortSignal.timeout(60_000) });
    assert.ok('text' in read, JSON.stringify(read));
    const parsed = parseTrace(read.text, NOW);
    assert.ok('at' in parsed);
    assert.equal(parsed.at.toISOString(), PUBLISHED.toISOString());
  });

  test('a base URL without a trailing slash and a path are joined', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { root: await servedTree(lab) });
    const read = await fetchTraceOverHttp(server.url.replace(/\/$/, ''), `/${TRACE}`, { signal: AbortSignal.timeout(60_000) });
    assert.ok('text' in read, JSON.stringify(read));
  });

  test('a missing file is an http-error with the status', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { root: await servedTree(lab) });
    const read = await fetchTraceOverHttp(server.url, 'nope.html', { signal: AbortSignal.timeout(60_000) });
    assert.deepEqual(read, { failure: { kind: 'http-error', message: 'HTTP 404' } });
  });

  test('status-500 is an http-error', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { mode: 'status-500' });
    const read = await fetchTraceOverHttp(server.url, TRACE, { signal: AbortSignal.timeout(60_000) });
    assert.deepEqual(read, { failure: { kind: 'http-error', message: 'HTTP 500' } });
  });

  test('slow: a body dripping past the deadline is a timeout at the deadline', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { root: await servedTree(lab), mode: 'slow' });
    const started = Date.now();
    const read = await fetchTraceOverHttp(server.url, TRACE, { signal: AbortSignal.timeout(600) });
    const elapsed = Date.now() - started;
    assert.deepEqual(read, { failure: { kind: 'timeout', message: 'timed out' } });
    // Never early; the upper bound only guards against a hang (a busy machine makes it late).
    assert.ok(elapsed >= 550 && elapsed < 30_000, `took ${elapsed} ms`);
  });

  test('endless: a body that never ends is a timeout', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { body: '2024-05-18T15:25:00Z\n', mode: 'endless' });
    const read = await fetchTraceOverHttp(server.url, TRACE, { signal: AbortSignal.timeout(600) });
    assert.deepEqual(read, { failure: { kind: 'timeout', message: 'timed out' } });
  });

  test('hang: no answer at all is a timeout', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { mode: 'hang' });
    const read = await fetchTraceOverHttp(server.url, TRACE, { signal: AbortSignal.timeout(400) });
    assert.deepEqual(read, { failure: { kind: 'timeout', message: 'timed out' } });
  });

  test('huge: abandoned as soon as it passes 64 KiB, without growing memory', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { body: '2024-05-18T15:25:00Z\n', mode: 'huge' });
    const rssBefore = process.memoryUsage().rss;
    // The size cap ended it, not the deadline: that would be a timeout.
    const read = await fetchTraceOverHttp(server.url, TRACE, { signal: AbortSignal.timeout(60_000) });
    assert.deepEqual(read, { failure: { kind: 'http-error', message: 'trace over 64 KiB' } });
    const grown = process.memoryUsage().rss - rssBefore;
    assert.ok(grown < 50 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1024 / 1024)} MB`);
  });

  test('redirect-loop is an http-error, after a bounded number of requests', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { mode: 'redirect-loop' });
    const read = await fetchTraceOverHttp(server.url, TRACE, { signal: AbortSignal.timeout(60_000) });
    assert.deepEqual(read, { failure: { kind: 'http-error', message: 'redirect loop' } });
    assert.ok(server.requests() <= 4, `${server.requests()} requests`);
  });

  test('redirect-file: a redirect to file:// is refused and never followed', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { mode: 'redirect-file' });
    const read = await fetchTraceOverHttp(server.url, TRACE, { signal: AbortSignal.timeout(60_000) });
    assert.deepEqual(read, { failure: { kind: 'http-error', message: 'refused a redirect to a file: URL' } });
    assert.equal(server.requests(), 1);
  });

  test('a redirect to another host or port is refused: nothing there is fetched, nothing of it quoted', async (t) => {
    const { createServer } = await import('node:http');
    // Stands for a service on the mirror host's own network that a source would like read out.
    let secretRequests = 0;
    const secret = createServer((_request, response) => {
      secretRequests += 1;
      response.writeHead(200).end('INTERNAL_SECRET=hunter2\n');
    });
    await new Promise<void>((resolve) => secret.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => secret.close(() => resolve())));
    const secretAddress = secret.address();
    assert.ok(secretAddress !== null && typeof secretAddress === 'object');
    const redirector = createServer((request, response) => {
      const to = request.url?.startsWith('/name/') ? `http://localhost:${secretAddress.port}/secret` : `http://127.0.0.1:${secretAddress.port}/secret`;
      response.writeHead(302, { location: to }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => redirector.close(() => resolve())));
    const address = redirector.address();
    assert.ok(address !== null && typeof address === 'object');
    for (const base of [`http://127.0.0.1:${address.port}/port/`, `http://127.0.0.1:${address.port}/name/`]) {
      const read = await fetchTraceOverHttp(base, TRACE, { signal: AbortSignal.timeout(5000) });
      assert.deepEqual(read, { failure: { kind: 'http-error', message: 'refused a redirect to another host or port' } });
    }
    assert.equal(secretRequests, 0);
  });

  test('more redirects than allowed is an http-error', async (t) => {
    const { createServer } = await import('node:http');
    // A chain of distinct URLs /hop/N -> /hop/N+1 (no loop) on one server, ending on the trace.
    const chain = createServer((request, response) => {
      const hop = Number(/\/hop\/(\d+)/.exec(request.url ?? '')?.[1] ?? '0');
      if (hop >= 5) response.writeHead(200).end('2024-05-18T15:25:00Z\n');
      else response.writeHead(302, { location: `/hop/${hop + 1}` }).end();
    });
    await new Promise<void>((resolve) => chain.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => chain.close(() => resolve())));
    const address = chain.address();
    assert.ok(address !== null && typeof address === 'object');
    const base = `http://127.0.0.1:${address.port}/hop/`;
    const tooMany = await fetchTraceOverHttp(base, '0', { signal: AbortSignal.timeout(60_000) });
    assert.deepEqual(tooMany, { failure: { kind: 'http-error', message: 'more than 3 redirects' } });
    const enough = await fetchTraceOverHttp(base, '0', { signal: AbortSignal.timeout(60_000), maxRedirects: 5 });
    assert.ok('text' in enough, JSON.stringify(enough));
  });

  test('a closed port is unreachable: connection refused', async (t) => {
    const lab = await useLab(t);
    const port = await closedPort(lab);
    const read = await fetchTraceOverHttp(`http://127.0.0.1:${port}/`, TRACE, { signal: AbortSignal.timeout(60_000) });
    assert.deepEqual(read, { failure: { kind: 'unreachable', message: 'connection refused' } });
  });
});

describe('probeSource over http', () => {
  test('a probe-only source: trace over http, latency to the http port', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { root: await servedTree(lab) });
    const result = await probeSource(source('web', { http: server.url }), probeConfig([], { trace: TRACE }), { now: NOW });
    assert.equal(result.via, 'http');
    assert.equal(result.failure, null);
    assert.equal(result.reachable, true);
    assert.equal(typeof result.latencyMs, 'number');
    assert.equal(result.freshness?.at.toISOString(), PUBLISHED.toISOString());
  });

  test('a probe-only source without a trace cannot be probed', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { body: 'x' });
    const result = await probeSource(source('web', { http: server.url }), probeConfig([]));
    assert.equal(result.freshness, null);
    assert.equal(result.failure?.kind, 'trace-missing');
  });

  test('a slow server times out within timeoutMs, with reachable as measured', async (t) => {
    const lab = await useLab(t);
    const server = await startTraceHttpServer(lab, { root: await servedTree(lab), mode: 'slow' });
    const result = await probeSource(source('web', { http: server.url }), probeConfig([], { trace: TRACE, timeoutMs: 700 }), { now: NOW });
    assert.deepEqual(result.failure, { kind: 'timeout', message: 'no answer within 700 ms' });
    assert.equal(result.reachable, true);
    // Never early; the upper bound only guards against a hang (a busy machine makes it late).
    assert.ok(result.durationMs >= 690 && result.durationMs < 30_000, `took ${result.durationMs} ms`);
  });
});
