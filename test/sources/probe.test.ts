import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { closedPort, makeTree, startDaemon, startStallServer, useLab } from '../lab/index.js';
import { probeSource } from '../../src/sources/probe.js';
import { probeAll } from '../../src/sources/probe-all.js';
import type { ProbeResult } from '../../src/sources/types.js';
import { waitFor } from '../support/wait.js';
import { probeConfig, source } from './probe-config.js';

const TRACE = 'zzz/timestamp.html';
const PUBLISHED = new Date('2024-05-18T15:25:00Z');
const NOW = new Date('2024-06-01T00:00:00Z');

// rsync children of this process still alive (or unreaped), lab daemons aside: a probe must leave none behind.
function rsyncChildren(daemons: readonly number[] = []): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (stat.includes('(rsync)') && Number(fields[1]) === process.pid && !daemons.includes(Number(name))) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

describe('probeSource deadlines', () => {
  test('a refused port is unreachable at once: refused, not left to time out', async (t) => {
    const lab = await useLab(t);
    const port = await closedPort(lab);
    const result = await probeSource(source('dead', { url: `rsync://127.0.0.1:${port}/${lab.module}/` }), probeConfig([], { trace: TRACE, timeoutMs: 60_000 }));
    assert.equal(result.reachable, false);
    assert.deepEqual(result.failure, { kind: 'unreachable', message: 'connection refused' });
  });

  for (const trace of [TRACE, undefined]) {
    test(`a server that accepts and stays silent times out at timeoutMs (${trace === undefined ? 'listing' : 'trace'}), rsync killed`, async (t) => {
      const lab = await useLab(t);
      const stall = await startStallServer(lab);
      const started = Date.now();
      const result = await probeSource(source('stall', { url: stall.url }), probeConfig([], { timeoutMs: 800, ...(trace === undefined ? {} : { trace }) }));
      const elapsed = Date.now() - started;
      t.diagnostic(`timed out after ${elapsed} ms`);
      assert.deepEqual(result.failure, { kind: 'timeout', message: 'no answer within 800 ms' });
      assert.equal(result.reachable, true, 'the TCP connects succeeded');
      assert.equal(result.freshness, null);
      // Never early; late only by what a busy machine adds (the upper bound guards against a hang only).
      assert.ok(elapsed >= 790 && elapsed < 30_000, `took ${elapsed} ms`);
      assert.deepEqual(rsyncChildren(), []);
    });
  }

  test('aborting the caller\'s signal resolves the probe at once as stopped', async (t) => {
    const lab = await useLab(t);
    const stall = await startStallServer(lab);
    const controller = new AbortController();
    // Aborted once the probe is in flight (connected); 'stopped', not 'timeout', shows the abort ended it.
    const probing = probeSource(source('stall', { url: stall.url }), probeConfig([], { trace: TRACE, timeoutMs: 60_000 }), { signal: controller.signal });
    await waitFor('the probe to connect', () => stall.connections() > 0);
    controller.abort();
    const result = await probing;
    assert.deepEqual(result.failure, { kind: 'stopped', message: 'probe stopped before it ended' });
    assert.deepEqual(rsyncChildren(), []);
  });

  test('a missing rsync binary is reported, not thrown', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 1, trace: { path: TRACE, at: PUBLISHED } });
    const daemon = await startDaemon(lab, { name: 'd', tree: lab.path('tree') });
    const result = await probeSource(source('d', { url: daemon.url }), probeConfig([], { trace: TRACE, binary: lab.path('no-rsync') }), { now: NOW });
    assert.equal(result.failure?.kind, 'unreachable');
    assert.match(result.failure?.message ?? '', /^cannot run rsync: .*ENOENT/);
  });
});

describe('probeAll', () => {
  test('five sources, two of which stall, are probed concurrently and reported in config order', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 2, trace: { path: TRACE, at: PUBLISHED } });
    const daemon = await startDaemon(lab, { name: 'good', tree: lab.path('tree') });
    const stallA = await startStallServer(lab);
    const stallB = await startStallServer(lab);
    const dead = await closedPort(lab);
    const config = probeConfig(
      [
        source('master', { url: daemon.url, master: true }),
        source('stall-a', { url: stallA.url }),
        source('mirror', { url: daemon.url }),
        source('stall-b', { url: stallB.url }),
        source('dead', { url: `rsync://127.0.0.1:${dead}/${lab.module}/` }),
      ],
      { trace: TRACE, timeoutMs: 5000 },
    );
    // Concurrent: when the first silent source times out, the other one has been connected to already.
    const connectedAtFirstTimeout: number[] = [];
    const results = await probeAll(config, {
      now: NOW,
      onResult: (result: ProbeResult) => {
        if (result.failure?.kind === 'timeout' && connectedAtFirstTimeout.length === 0) connectedAtFirstTimeout.push(stallA.connections(), stallB.connections());
      },
    });
    assert.ok(connectedAtFirstTimeout.every((count) => count > 0), `connections to the silent sources at the first timeout: ${connectedAtFirstTimeout.join(', ')}`);
    assert.deepEqual(results.map((result) => result.name), ['master', 'stall-a', 'mirror', 'stall-b', 'dead']);
    assert.deepEqual(results.map((result) => result.failure?.kind ?? 'ok'), ['ok', 'timeout', 'ok', 'timeout', 'unreachable']);
    assert.equal(results[0]?.freshness?.at.toISOString(), PUBLISHED.toISOString());
  });

  test('onResult lets the caller stop the rest as soon as it knows enough', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 2, trace: { path: TRACE, at: PUBLISHED } });
    const daemon = await startDaemon(lab, { name: 'good', tree: lab.path('tree') });
    const stall = await startStallServer(lab);
    // 'stopped', not 'timeout', shows that the caller's stop ended the slow probe.
    const config = probeConfig([source('slow', { url: stall.url }), source('master', { url: daemon.url, master: true })], { trace: TRACE, timeoutMs: 60_000 });
    const stop = new AbortController();
    const seen: string[] = [];
    const results = await probeAll(config, {
      signal: stop.signal,
      now: NOW,
      onResult: (result: ProbeResult) => {
        seen.push(result.name);
        if (result.name === 'master' && result.freshness !== null) stop.abort();
      },
    });
    assert.deepEqual(seen, ['master', 'slow']);
    assert.equal(results[1]?.failure, null);
    assert.deepEqual(results[0]?.failure, { kind: 'stopped', message: 'probe stopped before it ended' });
    assert.deepEqual(rsyncChildren([daemon.pid]), []);
  });
});
