import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort, startStallServer, useLab } from '../lab/index.js';
import { describeSocketError, probeLatency } from '../../src/sources/probe-latency.js';

describe('probeLatency', () => {
  test('a listening port is reachable: the median and spread of the samples', async (t) => {
    const lab = await useLab(t);
    const server = await startStallServer(lab);
    const result = await probeLatency('127.0.0.1', server.port, 5, AbortSignal.timeout(5000));
    assert.equal(result.reachable, true);
    assert.equal(result.error, undefined);
    assert.ok(result.medianMs !== null && result.medianMs >= 0 && result.medianMs < 1000, String(result.medianMs));
    assert.ok(result.spreadMs !== null && result.spreadMs >= 0, String(result.spreadMs));
    // Every sample is a real connect.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.connections(), 5);
  });

  test('a closed port: connection refused, at once and without retrying every sample', async (t) => {
    const lab = await useLab(t);
    const port = await closedPort(lab);
    const started = Date.now();
    const result = await probeLatency('127.0.0.1', port, 3, AbortSignal.timeout(5000));
    assert.deepEqual(result, { reachable: false, medianMs: null, spreadMs: null, error: 'connection refused' });
    assert.ok(Date.now() - started < 300, `took ${Date.now() - started} ms`);
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
