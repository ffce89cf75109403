import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSuspect } from '../../src/network/check.js';
import { lastRsyncError, summarizeOwnStatus } from '../../src/network/own-status.js';
import { escapeHtml } from '../../src/network/report-html.js';
import { renderStatusJson } from '../../src/network/report-json.js';
import { bandOf, checkFrequency, lagBehind, scoreUrl, stddev } from '../../src/network/score.js';
import { describeWrong, formatAge, histogramOf, summarizeNetwork } from '../../src/network/summary.js';
import type { Check, CheckRow } from '../../src/network/types.js';
import { assertArchwebV3 } from './archweb-v3.js';
import { ownStatus } from './mirror-lab.js';

const H = 3600;
const D = 86_400;
const T0 = new Date('2026-11-01T00:00:00Z');
const at = (hours: number) => new Date(T0.getTime() + hours * H * 1000);

function row(source: string, ok: boolean, freshness: Date | null, durationMs = 1000, extra: Partial<CheckRow> = {}): CheckRow {
  return { source, protocol: 'rsync', url: `rsync://${source}/sage/`, master: source === 'master', ok, freshness: ok ? freshness : null, durationMs, error: ok ? null : 'unreachable: connection refused', own: null, ...extra };
}
function check(hours: number, rows: CheckRow[], suspect = false): Check {
  return { checkedAt: at(hours), suspect, rows };
}

describe('mirmon bands', () => {
  const cases: [number | null, number, string][] = [
    [0, H, 'fresh'],
    [D + H, H, 'fresh'],
    [D + H + 1, H, 'oldish'],
    [2 * D + H, H, 'oldish'],
    [2 * D + H + 1, H, 'old'],
    [30 * D, H, 'old'],
    [D + 5 * H, 6 * H, 'fresh'],
    [null, H, 'bad'],
  ];
  for (const [age, interval, band] of cases) {
    test(`age ${age ?? 'unknown'} s with checks every ${interval} s is ${band}`, () => assert.equal(bandOf(age, interval), band));
  }
});

describe('archweb statistics of one URL', () => {
  const cases: { name: string; checks: { check: Check; row: CheckRow }[]; expected: Partial<ReturnType<typeof scoreUrl>> }[] = [
    {
      name: 'every check answered, 2 h behind, durations 1 s and 3 s',
      checks: [
        { check: check(2, []), row: row('m', true, at(0), 1000) },
        { check: check(3, []), row: row('m', true, at(1), 3000) },
      ],
      expected: { checkCount: 2, successCount: 2, completion: 1, delayMean: 2 * H, delayStddev: 0, durationAvg: 2, durationStddev: Math.SQRT2, score: 2 + 2 + Math.SQRT2 },
    },
    {
      name: 'half the checks answered: the score doubles',
      checks: [
        { check: check(2, []), row: row('m', true, at(0), 1000) },
        { check: check(3, []), row: row('m', false, null, 5000) },
      ],
      expected: { checkCount: 2, successCount: 1, completion: 0.5, delayMean: 2 * H, delayStddev: null, durationAvg: 1, durationStddev: null, score: (2 + 1) / 0.5 },
    },
    {
      name: 'a suspect check is not counted at all',
      checks: [
        { check: check(2, []), row: row('m', true, at(0), 1000) },
        { check: check(3, [], true), row: row('m', false, null) },
      ],
      expected: { checkCount: 1, successCount: 1, completion: 1, score: 3 },
    },
    {
      name: 'never answered: no delay, no score, completion 0',
      checks: [{ check: check(2, []), row: row('m', false, null) }],
      expected: { checkCount: 1, successCount: 0, completion: 0, delayMean: null, score: null, lastSync: null },
    },
    {
      name: 'delay spread: 1 h and 3 h behind',
      checks: [
        { check: check(1, []), row: row('m', true, at(0), 0) },
        { check: check(5, []), row: row('m', true, at(2), 0) },
      ],
      expected: { delayMean: 2 * H, delayStddev: Math.SQRT2 * H, lastSync: at(2), lastCheck: at(5) },
    },
  ];
  for (const { name, checks, expected } of cases) {
    test(name, () => {
      const score = scoreUrl(checks);
      for (const [key, value] of Object.entries(expected)) {
        const actual = score[key as keyof typeof score];
        if (typeof value === 'number' && typeof actual === 'number') assert.ok(Math.abs(actual - value) < 1e-9, `${key}: ${actual} ≠ ${value}`);
        else assert.deepEqual(actual, value, key);
      }
    });
  }
});

describe('small pure parts', () => {
  test('sample standard deviation', () => {
    assert.equal(stddev([]), null);
    assert.equal(stddev([5]), null);
    assert.equal(stddev([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
  });
  test('check frequency is the span over the count less one', () => {
    assert.equal(checkFrequency([{ checkedAt: at(0) }]), null);
    assert.equal(checkFrequency([{ checkedAt: at(0) }, { checkedAt: at(1) }, { checkedAt: at(4) }]), 2 * H);
  });
  test('lag behind the master', () => {
    assert.equal(lagBehind(at(5), at(2)), 3 * H);
    assert.equal(lagBehind(at(2), at(5)), 0, 'a mirror never leads the master');
    assert.equal(lagBehind(null, at(5)), null);
  });
  const suspect: [boolean[], boolean][] = [
    [[true, true, false], false],
    [[true, false, false], true],
    [[false, false, true, true], false],
    [[false], false],
    [[], false],
  ];
  for (const [oks, expected] of suspect) {
    test(`a check with ${oks.filter((ok) => !ok).length} of ${oks.length} failed ${expected ? 'is' : 'is not'} suspect`, () => {
      assert.equal(isSuspect(oks.map((ok) => ({ ok }))), expected);
    });
  }
  test('ages read as minutes, hours, then days', () => {
    assert.deepEqual([formatAge(600), formatAge(5 * H), formatAge(47 * H), formatAge(3 * D)], ['10 min', '5 h', '47 h', '3 d']);
  });
  test('the histogram counts mirrors per age bin, bad last', () => {
    const bins = histogramOf([{ ageSeconds: H }, { ageSeconds: 7 * H }, { ageSeconds: 3 * D }, { ageSeconds: null }]);
    assert.deepEqual(bins.map((bin) => bin.count), [1, 1, 0, 0, 0, 1, 0, 1]);
    assert.equal(bins.at(-1)?.label, 'bad');
  });
  test('escapes every character that could open markup or leave an attribute', () => {
    assert.equal(escapeHtml(`<script>"x"&'y'</script>`), '&#60;script&#62;&#34;x&#34;&#38;&#39;y&#39;&#60;/script&#62;');
  });
});

describe("a mirror's own word", () => {
  test("rsync's error lines count only at the start of a line, the daemon's @ERROR first", () => {
    const log = ['file @ERROR: not really', '@ERROR: max connections (2) reached -- try again later', 'rsync error: error starting client-server protocol (code 5)', ''].join('\n');
    assert.equal(lastRsyncError(log, false), '@ERROR: max connections (2) reached -- try again later');
    assert.equal(lastRsyncError('sent 10 bytes\nx rsync error: quoted in a name\n', false), null);
    assert.equal(lastRsyncError('@ERROR: cut in two\nrsync: [sender] read error\n', true), 'rsync: [sender] read error', 'a tail that starts mid-line drops that line');
  });
  test('a failed run, its error and its log line', () => {
    const status = ownStatus('failed', at(1), at(0), 'every source failed');
    assert.deepEqual(summarizeOwnStatus({ text: status }, { text: '@ERROR: auth failed on module sage\n' }), {
      result: 'failed',
      endedAt: at(1).toISOString(),
      lastSuccessAt: at(0).toISOString(),
      error: 'every source failed',
      logError: '@ERROR: auth failed on module sage',
      problem: null,
    });
  });
  test('nothing published is null; garbage and control characters are named, clipped and cleaned', () => {
    assert.equal(summarizeOwnStatus({ missing: true }, { missing: true }), null);
    assert.equal(summarizeOwnStatus({ text: '{"result": "synced"' }, { missing: true })?.problem, 'status.json: not JSON');
    const status = ownStatus('failed', at(1), at(0), `\u001b[31m${'x'.repeat(1000)}`);
    const own = summarizeOwnStatus({ text: status }, { missing: true });
    assert.equal(own?.error?.length, 300);
    assert.ok(!own?.error?.includes('\u001b'));
  });
});

describe('the report model', () => {
  const checks = [
    check(0, [row('master', true, at(-1)), row('late', true, at(-40)), row('gone', false, null)]),
    check(1, [row('master', true, at(0)), row('late', false, null), row('gone', false, null)]),
    check(2, [row('master', false, null), row('late', false, null), row('gone', false, null)], true),
  ];
  const summary = summarizeNetwork(checks, at(2), D);
  test('bands, lag and history per mirror', () => {
    const byName = new Map(summary.mirrors.map((mirror) => [mirror.name, mirror]));
    assert.equal(byName.get('master')?.band, 'fresh');
    assert.equal(byName.get('late')?.band, 'oldish');
    assert.equal(byName.get('late')?.lagSeconds, 40 * H);
    assert.equal(byName.get('gone')?.band, 'bad');
    assert.deepEqual(byName.get('late')?.history.map((cell) => cell.state), ['oldish', 'bad', 'suspect']);
    assert.equal(byName.get('late')?.wrong, 'last sync 42 h ago; now failing over rsync unreachable: connection refused; missed 1 of 2 checks');
  });
  test('what is wrong, in one sentence', () => {
    const own = { result: 'failed', endedAt: null, lastSuccessAt: null, error: 'rsync exited with code 5', logError: '@ERROR: max connections reached', problem: null };
    assert.equal(
      describeWrong({ band: 'old', ageSeconds: 3 * D, failingNow: [], lastError: null, own, urls: [{ checkCount: 4, successCount: 4 }] }),
      'last sync 3 d ago; its own last run failed: rsync exited with code 5; its own log says: @ERROR: max connections reached',
    );
    assert.equal(describeWrong({ band: 'fresh', ageSeconds: H, failingNow: [], lastError: null, own: null, urls: [{ checkCount: 4, successCount: 4 }] }), '');
    assert.equal(describeWrong({ band: 'bad', ageSeconds: null, failingNow: ['rsync x'], lastError: 'unreachable: connection refused', own: null, urls: [] }), 'no trace read: unreachable: connection refused');
  });
  test('status.json keeps archweb v3 names and types', () => {
    const status = JSON.parse(renderStatusJson(summary)) as Record<string, unknown>;
    assertArchwebV3(status);
    assert.equal(status['num_checks'], 2, 'the suspect check is not counted');
    assert.equal(status['check_frequency'], H);
    assert.equal(status['cutoff'], D);
  });
});
