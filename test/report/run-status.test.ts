import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { finishRunStatus, startRunStatus } from '../../src/report/run-status.js';
import type { RunStatus } from '../../src/report/run-status.js';

const at = (text: string): Date => new Date(`2026-11-24T${text}Z`);

describe('startRunStatus', () => {
  test('a first run starts with nothing carried over', () => {
    const status = startRunStatus(null, { mode: 'initial', startedAt: at('02:00:00'), pid: 4242, host: 'h', version: '0.1.0' });
    assert.deepEqual(status, {
      result: 'running',
      mode: 'initial',
      startedAt: '2026-11-24T02:00:00.000Z',
      endedAt: null,
      pid: 4242,
      source: null,
      tried: [],
      bytesReceived: 0,
      filesTransferred: 0,
      freshness: null,
      lagSeconds: null,
      lastSuccessAt: null,
      error: null,
      host: 'h',
      version: '0.1.0',
    });
  });

  test('a status still running when we hold the lock means that run died: it is recorded, and its last success kept', () => {
    const first = finishRunStatus(startRunStatus(null, { mode: 'initial', startedAt: at('01:00:00'), pid: 1 }), {
      result: 'synced',
      endedAt: at('01:30:00'),
      source: 'mit',
      freshness: at('00:58:00'),
    });
    const died = startRunStatus(first, { mode: 'incremental', startedAt: at('02:00:00'), pid: 2 });
    const next = startRunStatus(died, { mode: 'incremental', startedAt: at('03:00:00'), pid: 3 });
    assert.deepEqual(next.previousRunDied, { startedAt: '2026-11-24T02:00:00.000Z', pid: 2 });
    assert.equal(next.lastSuccessAt, '2026-11-24T01:30:00.000Z');
    assert.equal(next.source, 'mit');
    assert.equal(next.freshness, '2026-11-24T00:58:00.000Z');
    assert.equal(next.pid, 3);
  });

  test('a run that ended normally is not reported as dead', () => {
    const ended = finishRunStatus(startRunStatus(null, { mode: 'initial', startedAt: at('01:00:00'), pid: 1 }), { result: 'failed', endedAt: at('01:01:00') });
    assert.equal('previousRunDied' in startRunStatus(ended, { mode: 'initial', startedAt: at('02:00:00'), pid: 2 }), false);
  });
});

describe('finishRunStatus', () => {
  const running = startRunStatus(null, { mode: 'incremental', startedAt: at('02:00:00'), pid: 99 });

  test('a synced run ends with its facts, no pid, a duration and a new last success', () => {
    const done = finishRunStatus(running, {
      result: 'synced',
      endedAt: at('02:03:11.5'),
      source: 'mit',
      tried: [{ name: 'mit', exitCode: 0, error: null, attempts: 1, bytesReceived: 10 }],
      bytesReceived: 10,
      filesTransferred: 1,
      freshness: at('01:58:29'),
      lagSeconds: 0,
    });
    assert.equal('pid' in done, false);
    assert.equal(JSON.stringify(done).includes('"pid"'), false);
    assert.equal(done.endedAt, '2026-11-24T02:03:11.500Z');
    assert.equal(done.lastSuccessAt, done.endedAt);
    assert.equal(done.durationSeconds, 191.5);
    assert.equal(done.freshness, '2026-11-24T01:58:29.000Z');
    assert.equal(done.error, null);
    assert.equal(done.tried.length, 1);
  });

  test('a no-op counts as a success', () => {
    assert.equal(finishRunStatus(running, { result: 'noop', endedAt: at('02:00:01') }).lastSuccessAt, '2026-11-24T02:00:01.000Z');
  });

  test('lastSuccessAt is kept across failed, interrupted and dead runs', () => {
    let status: RunStatus = finishRunStatus(running, { result: 'synced', endedAt: at('02:10:00') });
    const outcomes = [
      { result: 'failed', error: { code: 'sync.failed', message: 'every source failed' } },
      { result: 'interrupted', error: { code: 'interrupted.sigterm', message: 'SIGTERM' } },
      { result: 'died' },
      { result: 'failed', error: { code: 'sources.noneUsable', message: 'none' } },
    ] as const;
    let hour = 3;
    for (const outcome of outcomes) {
      status = startRunStatus(status, { mode: 'incremental', startedAt: at(`0${hour}:00:00`), pid: hour });
      if (outcome.result !== 'died') status = finishRunStatus(status, { result: outcome.result, endedAt: at(`0${hour}:05:00`), error: outcome.error });
      hour++;
    }
    assert.equal(status.result, 'failed');
    assert.equal(status.lastSuccessAt, '2026-11-24T02:10:00.000Z');
    assert.deepEqual(status.previousRunDied, { startedAt: '2026-11-24T05:00:00.000Z', pid: 5 });
    assert.deepEqual(status.error, { code: 'sources.noneUsable', message: 'none' });
  });

  test('fields the end leaves out keep the running values; null clears them', () => {
    const carried = { ...running, source: 'mit', freshness: '2026-11-20T00:00:00.000Z' };
    const kept = finishRunStatus(carried, { result: 'failed', endedAt: at('02:01:00') });
    assert.equal(kept.source, 'mit');
    assert.equal(kept.freshness, '2026-11-20T00:00:00.000Z');
    const cleared = finishRunStatus(carried, { result: 'failed', endedAt: at('02:01:00'), source: null, freshness: null });
    assert.equal(cleared.source, null);
    assert.equal(cleared.freshness, null);
  });
});
