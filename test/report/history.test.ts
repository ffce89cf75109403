import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  HISTORY_LIMITS,
  emptyHistory,
  historyPath,
  readHistory,
  recordOutcomes,
  summarizeHistory,
  writeHistory,
} from '../../src/report/history.js';
import type { History, OutcomeEntry } from '../../src/report/history.js';
import { temporaryFolders } from '../support/temp-dirs.js';

const now = new Date('2026-11-24T02:00:00Z');
const daysAgo = (days: number): Date => new Date(now.getTime() - days * 86_400_000);

function record(entries: OutcomeEntry[], history: History = emptyHistory()): History {
  return recordOutcomes(history, entries, now);
}

describe('recordOutcomes', () => {
  test('keeps the last 20 outcomes of a source, oldest first', () => {
    const entries = Array.from({ length: 25 }, (_, i): OutcomeEntry => ({ source: 'mit', ok: i % 2 === 0, at: daysAgo(25 - i) }));
    const history = record(entries);
    const outcomes = history.sources[0]?.outcomes ?? [];
    assert.equal(outcomes.length, HISTORY_LIMITS.outcomesPerSource);
    assert.equal(outcomes[0]?.at, daysAgo(20).toISOString());
    assert.equal(outcomes.at(-1)?.at, daysAgo(1).toISOString());
  });

  test('keeps at most 50 sources: the ones tried most recently', () => {
    let history = emptyHistory();
    for (let i = 0; i < 60; i++) history = record([{ source: `s${i}`, ok: true, at: daysAgo(60 - i) }], history);
    assert.equal(history.sources.length, HISTORY_LIMITS.sources);
    const names = new Set(history.sources.map((s) => s.name));
    assert.ok(!names.has('s0') && !names.has('s9'));
    assert.ok(names.has('s10') && names.has('s59'));
  });

  test('does not change the history it is given, and appends at now by default', () => {
    const before = record([{ source: 'mit', ok: true, at: daysAgo(1) }]);
    const frozen = JSON.stringify(before);
    const afterwards = record([{ source: 'mit', ok: false, error: 'exit 30\nsecond line' }], before);
    assert.equal(JSON.stringify(before), frozen);
    assert.deepEqual(afterwards.sources[0]?.outcomes.at(-1), { at: now.toISOString(), ok: false, error: 'exit 30' });
  });
});

describe('summarizeHistory', () => {
  test('counts the consecutive failures since the last success', () => {
    const history = record([
      { source: 'mit', ok: false, at: daysAgo(3) },
      { source: 'mit', ok: true, at: daysAgo(2) },
      { source: 'mit', ok: false, at: daysAgo(1) },
      { source: 'mit', ok: false, at: daysAgo(0.5) },
      { source: 'master', ok: true, at: daysAgo(0.5) },
    ]);
    const summary = summarizeHistory(history, now);
    assert.equal(summary.get('mit')?.recentFailures, 2);
    assert.equal(summary.get('master')?.recentFailures, 0);
    assert.equal(summary.get('unknown'), undefined);
  });

  test('failures older than 7 days no longer count', () => {
    const history = record([
      { source: 'old', ok: false, at: daysAgo(10) },
      { source: 'old', ok: false, at: daysAgo(8) },
      { source: 'old', ok: false, at: daysAgo(6) },
    ]);
    assert.equal(summarizeHistory(history, now).get('old')?.recentFailures, 1);
    assert.equal(summarizeHistory(history, daysAgo(-2)).get('old')?.recentFailures, 0);
  });

  test('throughput is the median of successful passes that moved data', () => {
    const history = record([
      { source: 'mit', ok: true, bytesReceived: 1000, durationSeconds: 10, at: daysAgo(4) }, // 100 B/s
      { source: 'mit', ok: true, bytesReceived: 9000, durationSeconds: 10, at: daysAgo(3) }, // 900 B/s
      { source: 'mit', ok: true, bytesReceived: 3000, durationSeconds: 10, at: daysAgo(2) }, // 300 B/s
      { source: 'mit', ok: false, bytesReceived: 1e9, durationSeconds: 1, at: daysAgo(1.5) },
      { source: 'mit', ok: true, bytesReceived: 0, durationSeconds: 5, at: daysAgo(1) },
      { source: 'even', ok: true, bytesReceived: 100, durationSeconds: 1, at: daysAgo(1) },
      { source: 'even', ok: true, bytesReceived: 300, durationSeconds: 1, at: daysAgo(1) },
      { source: 'none', ok: false, at: daysAgo(1) },
    ]);
    const summary = summarizeHistory(history, now);
    assert.equal(summary.get('mit')?.bytesPerSecond, 300);
    assert.equal(summary.get('even')?.bytesPerSecond, 200);
    assert.equal(summary.get('none')?.bytesPerSecond, null);
  });
});

describe('history.json', () => {
  const newTarget = temporaryFolders('mirrorsync-history-');

  test('round-trips through the file, creating .mirrorsync/', async () => {
    const target = await newTarget();
    const history = record([
      { source: 'mit', ok: true, bytesReceived: 10, durationSeconds: 2, at: daysAgo(1) },
      { source: 'aarnet', ok: false, error: 'timeout', at: daysAgo(1) },
    ]);
    await writeHistory(target, history);
    assert.deepEqual(await readHistory(target), history);
  });

  test('a missing, corrupt or wrongly shaped file is an empty history', async () => {
    const target = await newTarget();
    assert.deepEqual(await readHistory(target), emptyHistory());
    await mkdir(join(target, '.mirrorsync'));
    for (const text of ['{"version":1,"sour', '[]', '{"version":2,"sources":[]}', 'null']) {
      await writeFile(historyPath(target), text);
      assert.deepEqual(await readHistory(target), emptyHistory(), text);
    }
  });

  test('an oversized file is ignored, and bad entries are dropped while good ones stay', async () => {
    const target = await newTarget();
    await mkdir(join(target, '.mirrorsync'));
    await writeFile(historyPath(target), ' '.repeat(HISTORY_LIMITS.fileBytes + 1));
    assert.deepEqual(await readHistory(target), emptyHistory());
    const good = { at: daysAgo(1).toISOString(), ok: true };
    await writeFile(
      historyPath(target),
      JSON.stringify({
        version: 1,
        sources: [
          { name: 'mit', outcomes: [good, { at: 'yesterday', ok: true }, { at: good.at, ok: 'yes' }, { ...good, bytes: -1 }] },
          { name: 42, outcomes: [good] },
          { name: 'mit', outcomes: [good, good] },
          { name: '__proto__', outcomes: [good] },
        ],
      }),
    );
    assert.deepEqual(await readHistory(target), {
      version: 1,
      sources: [
        { name: 'mit', outcomes: [good] },
        { name: '__proto__', outcomes: [good] },
      ],
    });
  });

  test('a history that cannot be written is a local failure', async () => {
    const target = await newTarget();
    await writeFile(join(target, '.mirrorsync'), 'not a folder');
    await assert.rejects(writeHistory(target, emptyHistory()), { code: 'state.unsafe' });
    assert.equal(await readFile(join(target, '.mirrorsync'), 'utf8'), 'not a folder');
  });
});
