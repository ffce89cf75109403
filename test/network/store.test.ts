import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openHistory } from '../../src/network/store.js';
import type { Check } from '../../src/network/types.js';
import { temporaryFolders } from '../support/temp-dirs.js';

const DAY = 86_400_000;
const T0 = new Date('2026-11-01T00:00:00Z');

function check(day: number, suspect = false): Check {
  const checkedAt = new Date(T0.getTime() + day * DAY);
  const own = { result: 'failed', endedAt: null, lastSuccessAt: null, error: '<b>x</b>', logError: null, problem: null };
  return {
    checkedAt,
    suspect,
    rows: [
      { source: 'master', protocol: 'rsync', url: 'rsync://m/sage/', master: true, ok: true, freshness: new Date(checkedAt.getTime() - 3_600_000), durationMs: 120, error: null, own },
      { source: 'other', protocol: 'http', url: 'http://o/sage/', master: false, ok: false, freshness: null, durationMs: 5000, error: 'timeout: timed out', own: null },
    ],
  };
}

describe('the history database', () => {
  const folder = temporaryFolders('mirrorsync-history-');

  test('a check comes back as it was written, across a reopen', async () => {
    const path = join(await folder(), 'sub', 'sage-network.sqlite');
    const written = check(0, true);
    const store = await openHistory(path);
    store.append(written);
    store.close();
    const again = await openHistory(path);
    try {
      assert.deepEqual(again.checks(), [written]);
    } finally {
      again.close();
    }
  });

  test('checks older than 90 days before the newest are dropped', async () => {
    const store = await openHistory(join(await folder(), 'h.sqlite'));
    try {
      for (const day of [0, 10, 95, 101]) store.append(check(day));
      assert.deepEqual(store.checks().map((kept) => (kept.checkedAt.getTime() - T0.getTime()) / DAY), [95, 101]);
    } finally {
      store.close();
    }
  });

  test('a database that cannot be opened is a local error (exit 74)', async () => {
    await assert.rejects(openHistory('/proc/version/h.sqlite'), (error: unknown) => (error as { code?: string }).code === 'sync.local');
  });
});
