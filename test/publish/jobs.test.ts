import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

// tunasync prints times in the host's zone; a zone with an offset shows the offset is right.
process.env['TZ'] = 'Asia/Shanghai';

const { mirrorzEntry, mirrorzStatus, tunasyncJob } = await import('../../src/publish/jobs.js');
const { humanSize, timeText, ZERO_TIME_TEXT, ZERO_TIME_TS } = await import('../../src/publish/tunasync-time.js');
const { checkMirrorzStatus, checkTunasyncJob } = await import('./formats.js');
type RunStatus = import('../../src/report/run-status.js').RunStatus;

const base: RunStatus = {
  result: 'synced',
  mode: 'incremental',
  startedAt: '2026-11-29T10:00:00.000Z',
  endedAt: '2026-11-29T10:05:30.000Z',
  source: 'master',
  tried: [],
  bytesReceived: 10,
  filesTransferred: 1,
  freshness: null,
  lagSeconds: 0,
  lastSuccessAt: '2026-11-29T10:05:30.000Z',
  error: null,
  totalFileSize: 1_330_000_000_000,
};
const next = new Date('2026-11-29T16:07:00.000Z');
const facts = (status: RunStatus | null, syncing = false) => ({ name: 'sage', upstream: 'rsync://master.example.org/sage/', status, syncing, next });

describe("tunasync's /jobs entries", () => {
  test('a synced mirror: every field, its type and the Go time text', () => {
    const job = tunasyncJob(facts(base));
    checkTunasyncJob(job);
    assert.deepEqual(job, {
      name: 'sage',
      is_master: false,
      status: 'success',
      last_update: '2026-11-29 18:05:30 +0800',
      last_update_ts: 1_795_946_730,
      last_started: '2026-11-29 18:00:00 +0800',
      last_started_ts: 1_795_946_400,
      last_ended: '2026-11-29 18:05:30 +0800',
      last_ended_ts: 1_795_946_730,
      next_schedule: '2026-11-30 00:07:00 +0800',
      next_schedule_ts: 1_795_968_420,
      upstream: 'rsync://master.example.org/sage/',
      size: '1.33T',
    });
  });

  test('statuses: running, failed, interrupted, noop, never ran', () => {
    const running: RunStatus = { ...base, result: 'running', endedAt: null, pid: 1 };
    assert.equal(tunasyncJob(facts(running, true)).status, 'syncing');
    assert.equal(tunasyncJob(facts(running, false)).status, 'failed');
    assert.equal(tunasyncJob(facts({ ...base, result: 'failed', error: { code: 'sync.failed', message: 'x' } })).status, 'failed');
    assert.equal(tunasyncJob(facts({ ...base, result: 'interrupted' })).status, 'failed');
    assert.equal(tunasyncJob(facts({ ...base, result: 'noop' })).status, 'success');
    const never = tunasyncJob(facts(null));
    checkTunasyncJob(never);
    assert.equal(never.status, 'pre-syncing');
    assert.equal(never.last_update, ZERO_TIME_TEXT);
    assert.equal(never.last_update_ts, ZERO_TIME_TS);
    assert.equal(never.size, 'unknown');
  });

  test('sizes read like rsync -h', () => {
    assert.equal(humanSize(999), '999');
    assert.equal(humanSize(1000), '1.00K');
    assert.equal(humanSize(596_120_000_000), '596.12G');
    assert.equal(humanSize(undefined), 'unknown');
    assert.equal(timeText(new Date('2026-01-02T07:04:05Z')), '2026-01-02 15:04:05 +0800');
  });
});

describe('mirrorz status strings', () => {
  test('success, syncing, failed, never ran', () => {
    assert.equal(mirrorzStatus(facts(base)), 'S1795946730X1795968420');
    assert.equal(mirrorzStatus(facts({ ...base, result: 'running', endedAt: null, pid: 1 }, true)), 'Y1795946400O1795946730X1795968420');
    assert.equal(mirrorzStatus(facts({ ...base, result: 'failed' })), 'F1795946730O1795946730X1795968420');
    assert.equal(mirrorzStatus(facts({ ...base, result: 'failed', lastSuccessAt: null })), 'F1795946730X1795968420');
    assert.equal(mirrorzStatus(facts(null)), 'U' + 'X1795968420');
    for (const status of [base, null, { ...base, result: 'failed' as const }]) checkMirrorzStatus(mirrorzStatus(facts(status)));
  });
  test('an entry has the v1.7 fields', () => {
    assert.deepEqual(mirrorzEntry(facts(base)), { cname: 'sage', desc: '', url: '/sage', status: 'S1795946730X1795968420', help: '', upstream: 'rsync://master.example.org/sage/', size: '1.33T' });
  });
});
