import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exitCodeForVerdict } from '../../src/cli/exit-codes.js';
import type { RunStatus } from '../../src/report/run-status.js';
import { DEFAULT_THRESHOLDS, judgeStatus, unknownVerdict, verdictLine, worstState, type VerdictState } from '../../src/report/verdict.js';

const now = new Date('2026-11-29T12:00:00.000Z');
const ago = (hours: number) => new Date(now.getTime() - hours * 3_600_000).toISOString();
const alive = () => true;
const dead = () => false;

function statusOf(overrides: Partial<RunStatus>): RunStatus {
  return {
    result: 'synced',
    mode: 'incremental',
    startedAt: ago(2.1),
    endedAt: ago(2),
    source: 'mit',
    tried: [{ name: 'mit', exitCode: 0, error: null }],
    bytesReceived: 5_000,
    filesTransferred: 3,
    freshness: ago(3),
    lagSeconds: 600,
    lastSuccessAt: ago(2),
    error: null,
    ...overrides,
  };
}

const failed = { result: 'failed', error: { code: 'sync.failed', message: 'every usable source failed' } } as const;

describe('judgeStatus (default thresholds: warning 1d, critical 2d)', () => {
  const cases: Array<[what: string, status: RunStatus, isAlive: (pid: number) => boolean, state: VerdictState, summary: RegExp]> = [
    ['synced 2h ago', statusOf({}), alive, 'OK', /^synced from mit, last success 2h ago, 10m behind the master$/],
    ['a no-op 2h ago', statusOf({ result: 'noop', lagSeconds: 0 }), alive, 'OK', /^up to date from mit, last success 2h ago$/],
    ['synced 30h ago', statusOf({ endedAt: ago(30), lastSuccessAt: ago(30) }), alive, 'WARNING', /last success 1d 6h ago, more than 1d/],
    ['synced 3d ago', statusOf({ endedAt: ago(72), lastSuccessAt: ago(72) }), alive, 'CRITICAL', /no success for 3d \(critical after 2d\)/],
    ['failed, last success 2h ago', statusOf({ ...failed, lastSuccessAt: ago(2) }), alive, 'WARNING', /^last run failed: every usable source failed; last success 2h ago$/],
    ['failed, last success 40h ago', statusOf({ ...failed, lastSuccessAt: ago(40) }), alive, 'WARNING', /last run failed/],
    ['failed, last success 3d ago', statusOf({ ...failed, lastSuccessAt: ago(72) }), alive, 'CRITICAL', /no success for 3d .*; last run failed/],
    ['failed, never succeeded', statusOf({ ...failed, lastSuccessAt: null }), alive, 'CRITICAL', /^never succeeded; last run failed/],
    ['interrupted, last success 2h ago', statusOf({ result: 'interrupted', error: null }), alive, 'WARNING', /last run interrupted: no reason recorded/],
    ['running, last success 2h ago', statusOf({ result: 'running', endedAt: null, pid: 4242 }), alive, 'OK', /^syncing since .*; last success 2h ago/],
    ['running for the first time', statusOf({ result: 'running', endedAt: null, pid: 4242, lastSuccessAt: null }), alive, 'CRITICAL', /^never succeeded$/],
    ['running, process gone', statusOf({ result: 'running', endedAt: null, pid: 4242 }), dead, 'WARNING', /\(PID 4242\) died without finishing; last success 2h ago/],
    ['running, process gone, last success 3d ago', statusOf({ result: 'running', endedAt: null, pid: 4242, lastSuccessAt: ago(72) }), dead, 'CRITICAL', /died without finishing/],
    ['synced with a status written before lastSuccessAt existed', statusOf({ lastSuccessAt: null }), alive, 'OK', /last success 2h ago/],
    ['exactly at the warning threshold', statusOf({ lastSuccessAt: ago(24) }), alive, 'OK', /last success 1d ago/],
  ];
  for (const [what, status, isAlive, state, summary] of cases) {
    test(`${what}: ${state}`, () => {
      const verdict = judgeStatus(status, now, DEFAULT_THRESHOLDS, isAlive);
      assert.equal(verdict.state, state);
      assert.match(verdict.summary, summary);
    });
  }

  test('thresholds are the caller\'s: 30h is OK with warning 2d, CRITICAL with critical 1d', () => {
    const status = statusOf({ lastSuccessAt: ago(30) });
    assert.equal(judgeStatus(status, now, { warningSeconds: 2 * 86_400, criticalSeconds: 3 * 86_400 }, alive).state, 'OK');
    assert.equal(judgeStatus(status, now, { warningSeconds: 3_600, criticalSeconds: 86_400 }, alive).state, 'CRITICAL');
  });
});

describe('verdictLine', () => {
  test('first line with perfdata: lag, age and bytes, with the thresholds', () => {
    const line = verdictLine(judgeStatus(statusOf({}), now, DEFAULT_THRESHOLDS, alive));
    assert.equal(line, 'MIRRORSYNC OK - synced from mit, last success 2h ago, 10m behind the master | lag=600s;86400;172800 age=7200s;86400;172800 bytes=5000B');
  });

  test('unknown values are U; a | or a newline in a message cannot break the line', () => {
    const line = verdictLine(judgeStatus(statusOf({ ...failed, error: { code: 'sync.failed', message: 'a|b\nc' }, lastSuccessAt: null, lagSeconds: null }), now, DEFAULT_THRESHOLDS, alive));
    assert.doesNotMatch(line, /\n/);
    assert.equal(line.split('|').length, 2);
    assert.match(line, / \| lag=U;86400;172800 age=U;86400;172800 bytes=5000B$/);
  });

  test('UNKNOWN carries its reason', () => {
    assert.equal(verdictLine(unknownVerdict('no status at /srv/x: never ran', DEFAULT_THRESHOLDS)), 'MIRRORSYNC UNKNOWN - no status at /srv/x: never ran | lag=U;86400;172800 age=U;86400;172800 bytes=U');
  });
});

describe('states and exit statuses', () => {
  test('exit 0, 1, 2, 3 for OK, WARNING, CRITICAL, UNKNOWN', () => {
    assert.deepEqual((['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const).map(exitCodeForVerdict), [0, 1, 2, 3]);
  });

  const worst: Array<[VerdictState[], VerdictState]> = [
    [[], 'OK'],
    [['OK', 'OK'], 'OK'],
    [['OK', 'UNKNOWN'], 'UNKNOWN'],
    [['UNKNOWN', 'WARNING', 'OK'], 'WARNING'],
    [['WARNING', 'CRITICAL', 'UNKNOWN'], 'CRITICAL'],
  ];
  for (const [states, expected] of worst) {
    test(`worst of [${states.join(', ')}] is ${expected}`, () => assert.equal(worstState(states), expected));
  }
});
