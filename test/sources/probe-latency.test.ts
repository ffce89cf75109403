import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { closedPort, makeTree, startDaemon, startStallServer, useLab } from '../lab/index.js';
import { listenOnLoopback } from '../lab/ports.js';
import { describeSocketError, probeLatency } from '../../src/sources/probe-latency.js';
import { waitFor } from '../support/wait.js';

describe('probeLatency', () => {
  test('a listening port is reachable: the median and spread of the samples', async (t) => {
    const lab = await useLab(t);
    const server = await startStallServer(lab);
    const result = await probeLatency('127.0.0.1', server.port, 5, AbortSignal.timeout(60_000));
    assert.equal(result.reachable, true);
    assert.equal(result.error, undefined);
    // Milliseconds, not seconds or microseconds; how close to a bare connect is bench/'s question.
    assert.ok(result.medianMs !== null && result.medianMs >= 0 && result.medianMs < 10_000, String(result.medianMs));
    assert.ok(result.spreadMs !== null && result.spreadMs >= 0, String(result.spreadMs));
    // Every sample is a real connect (the server may see the last one after the client is done).
    await waitFor('five connections', () => server.connections() >= 5);
    assert.equal(server.connections(), 5);
  });

  test('a closed port: connection refused, not a timeout', async (t) => {
    const lab = await useLab(t);
    const port = await closedPort(lab);
    // Refused, not timed out: the signal's deadline is far off.
    const result = await probeLatency('127.0.0.1', port, 3, AbortSignal.timeout(60_000));
    assert.deepEqual(result, { reachable: false, medianMs: null, spreadMs: null, error: 'connection refused' });
  });

  test('an aborted signal ends the measurement as timed out', async (t) => {
    const lab = await useLab(t);
    const server = await startStallServer(lab);
    const result = await probeLatency('127.0.0.1', server.port, 3, AbortSignal.abort());
    assert.deepEqual(result, { reachable: false, medianMs: null, spreadMs: null, error: 'timed out' });
  });

  test('socket errors in an operator\'s words', () => {
    assert.equal(describeSocketError({ code: 'ECONNREFUSED' }), 'connection refused');
    assert.equal(describeSocketError({ code: 'ENOTFOUND' }), 'host not found');
    assert.equal(describeSocketError({ code: 'ETIMEDOUT' }), 'timed out');
    assert.equal(describeSocketError({ code: 'EHOSTUNREACH' }), 'no route to host');
    assert.equal(describeSocketError(new Error('something else')), 'something else');
  });
});

describe('probeLatency with awaitGreeting: telling a live rsync daemon from a port that only accepts', () => {
  const greetingOf = async (port: number, timeoutMs = 5000) => {
    const result = await probeLatency('127.0.0.1', port, 2, AbortSignal.timeout(timeoutMs), { awaitGreeting: true });
    assert.equal(result.reachable, true);
    return result.greeting;
  };

  test('a real daemon greets', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 1 });
    const daemon = await startDaemon(lab, { name: 'd', tree: lab.path('tree') });
    assert.deepEqual(await greetingOf(daemon.port), { ok: true });
  });

  test('a listener that never answers: no answer by the deadline', async (t) => {
    const lab = await useLab(t);
    const stall = await startStallServer(lab);
    assert.deepEqual(await greetingOf(stall.port, 300), { ok: false, kind: 'timeout', message: 'no answer' });
  });

  test('a server that says something else, or hangs up, is not an rsync daemon', async (t) => {
    // The probe resets connections it is done with: that is no failure of these servers.
    const talker = createServer((socket) => socket.on('error', () => undefined).end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const hanger = createServer((socket) => socket.on('error', () => undefined).end());
    t.after(() => Promise.all([talker, hanger].map((server) => new Promise((resolve) => server.close(resolve)))));
    const talks = await greetingOf(await listenOnLoopback(talker, 'talker'));
    assert.deepEqual(talks, { ok: false, kind: 'refused', message: 'not an rsync daemon: it sent "HTTP/1.1 400 Bad Request\\r\\n\\r\\n"' });
    const hangs = await greetingOf(await listenOnLoopback(hanger, 'hanger'));
    assert.equal(hangs?.ok, false);
    assert.match(hangs?.ok === false ? hangs.message : '', /^not an rsync daemon|connection reset/);
  });
});
