import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Config, SourceConfig } from '../../src/config/types.js';
import { rankSources, type RankInput, type SourceHistory } from '../../src/sources/rank.js';
import type { ProbeResult } from '../../src/sources/types.js';

const NOW = Date.parse('2026-11-24T00:00:00Z');
const HOUR = 3_600_000;

function source(name: string, extra: Partial<SourceConfig> = {}): SourceConfig {
  return { name, url: `rsync://${name}.example/sage/`, master: false, priority: 0, ...extra };
}

function config(sources: SourceConfig[]): Config {
  return {
    file: '/etc/mirrorsync/sage.json',
    name: 'sage',
    target: '/srv/mirror/sage',
    trace: 'zzz/timestamp.html',
    sources,
    rsync: { args: [], timeoutSeconds: 600, connectTimeoutSeconds: 30, maxDurationSeconds: 43200, maxDeleteFraction: 0.2, retries: 2, retryDelaySeconds: 10, binary: "rsync", cve2024Patched: false, keepUnsafeLinks: false },
    probe: { timeoutMs: 5000, samples: 3, freshWithinSeconds: 6 * 3600, maxClockSkewSeconds: 300 },
    hooks: {},
  };
}

/** A successful probe of a source `hoursBehind` hours behind NOW, `latencyMs` away. */
function ok(name: string, hoursBehind: number, latencyMs: number, identity?: string): ProbeResult {
  return {
    name,
    reachable: true,
    latencyMs,
    latencySpreadMs: 1,
    freshness: { at: new Date(NOW - hoursBehind * HOUR), ...(identity === undefined ? {} : { identity }) },
    via: 'rsync-trace',
    failure: null,
    durationMs: 10,
  };
}

function failed(name: string, kind: NonNullable<ProbeResult['failure']>['kind'], message: string): ProbeResult {
  return { name, reachable: kind !== 'unreachable' && kind !== 'timeout', latencyMs: null, latencySpreadMs: null, freshness: null, via: 'rsync-trace', failure: { kind, message }, durationMs: 10 };
}

function rank(input: Partial<RankInput> & Pick<RankInput, 'config' | 'probes'>) {
  return rankSources({ local: { freshness: null }, mode: 'incremental', ...input });
}

const names = (ranking: ReturnType<typeof rank>) => ranking.sources.map((row) => row.name);

describe('rankSources', () => {
  const network = config([source('master', { master: true }), source('fast'), source('slow'), source('stale')]);

  test('fresh sources come before stale ones, then by latency', () => {
    const ranking = rank({ config: network, probes: [ok('master', 0, 30), ok('fast', 0, 5), ok('slow', 1, 50), ok('stale', 72, 1)] });
    assert.deepEqual(names(ranking), ['fast', 'master', 'slow', 'stale']);
    const stale = ranking.sources.find((row) => row.name === 'stale');
    assert.equal(stale?.fresh, false);
    assert.equal(stale?.usable, true);
    assert.equal(stale?.lagSeconds, 72 * 3600);
    assert.equal(stale?.reason, 'stale: 3d behind master');
  });

  test('in initial mode the master goes after every fresh alternate but before stale ones', () => {
    const ranking = rank({ config: network, mode: 'initial', probes: [ok('master', 0, 1), ok('fast', 0, 5), ok('slow', 1, 50), ok('stale', 72, 1)] });
    assert.deepEqual(names(ranking), ['fast', 'slow', 'master', 'stale']);
    assert.match(ranking.sources[2]?.reason ?? '', /master: kept for last in initial sync/);
  });

  test('in incremental mode the master competes on latency like any fresh source', () => {
    const ranking = rank({ config: network, probes: [ok('master', 0, 1), ok('fast', 0, 5), ok('slow', 0, 50), ok('stale', 0, 2)] });
    assert.deepEqual(names(ranking), ['master', 'stale', 'fast', 'slow']);
  });

  test('priority orders equally fresh sources before latency does', () => {
    const cfg = config([source('master', { master: true, priority: 5 }), source('a', { priority: 1 }), source('b', { priority: -1 })]);
    const ranking = rank({ config: cfg, probes: [ok('master', 0, 1), ok('a', 0, 2), ok('b', 0, 90)] });
    assert.deepEqual(names(ranking), ['b', 'a', 'master']);
  });

  test('priority does not lift a stale source above a fresh one', () => {
    const cfg = config([source('master', { master: true }), source('old', { priority: -10 })]);
    assert.deepEqual(names(rank({ config: cfg, probes: [ok('master', 0, 50), ok('old', 24, 1)] })), ['master', 'old']);
  });

  test('unreachable, timed-out, refused, empty and garbage sources are unusable and last, each saying why', () => {
    const cfg = config([source('master', { master: true }), source('down'), source('hung'), source('nomod'), source('empty'), source('junk'), source('good')]);
    const ranking = rank({
      config: cfg,
      probes: [
        ok('master', 0, 40),
        failed('down', 'unreachable', 'connection refused'),
        failed('hung', 'timeout', 'no answer within 5000 ms'),
        failed('nomod', 'refused', '@ERROR: Unknown module sage'),
        failed('empty', 'empty', 'the module lists nothing'),
        failed('junk', 'trace-garbage', "no date found in the first line: 'hello'"),
        ok('good', 0, 10),
      ],
    });
    assert.deepEqual(names(ranking).slice(0, 2), ['good', 'master']);
    const byName = new Map(ranking.sources.map((row) => [row.name, row]));
    assert.equal(byName.get('down')?.reason, 'unreachable: connection refused');
    assert.equal(byName.get('hung')?.reason, 'unreachable: no answer within 5000 ms');
    assert.equal(byName.get('nomod')?.reason, 'refused: @ERROR: Unknown module sage');
    assert.equal(byName.get('empty')?.reason, 'refused: empty module: the module lists nothing');
    assert.match(byName.get('junk')?.reason ?? '', /^trace unreadable: no date found/);
    for (const name of ['down', 'hung', 'nomod', 'empty', 'junk']) assert.equal(byName.get(name)?.usable, false, name);
    assert.equal(byName.get('down')?.reachable, false);
    assert.equal(byName.get('nomod')?.reachable, true);
  });

  test('a source older than the local copy is never usable, even with --full', () => {
    const cfg = config([source('master', { master: true }), source('old')]);
    for (const full of [false, true]) {
      const ranking = rank({ config: cfg, full, local: { freshness: { at: new Date(NOW - 2 * HOUR) } }, probes: [ok('master', 0, 5), ok('old', 5, 1)] });
      const old = ranking.sources.find((row) => row.name === 'old');
      assert.equal(old?.usable, false);
      assert.equal(old?.reason, 'older than local copy by 3h: would roll the mirror back');
      assert.deepEqual(names(ranking), ['master', 'old']);
    }
  });

  test('in incremental mode a source with nothing newer than local is unusable unless --full', () => {
    const cfg = config([source('master', { master: true }), source('mirror')]);
    const local = { freshness: { at: new Date(NOW), identity: '9.6 / abc' } };
    const probes = [ok('master', 0, 5, '9.6 / abc'), ok('mirror', 0, 1, '9.6 / abc')];
    const plain = rank({ config: cfg, local, probes });
    assert.equal(plain.upToDate, true);
    assert.ok(plain.sources.every((row) => !row.usable && row.reason === 'nothing new: same publication as the local copy'));
    const full = rank({ config: cfg, local, probes, full: true });
    assert.ok(full.sources.every((row) => row.usable));
  });

  test('the same date with a different identity is something new', () => {
    const cfg = config([source('master', { master: true })]);
    const ranking = rank({ config: cfg, local: { freshness: { at: new Date(NOW), identity: '9.6 / abc' } }, probes: [ok('master', 0, 5, '9.7 / def')] });
    assert.equal(ranking.sources[0]?.usable, true);
    assert.equal(ranking.upToDate, false);
  });

  test('probe-only sources are ranked and shown but never usable', () => {
    const cfg = config([source('master', { master: true }), { name: 'web', http: 'https://web.example/sage/', master: false, priority: 0 }]);
    const ranking = rank({ config: cfg, probes: [ok('master', 0, 5), ok('web', 1, 1)] });
    const web = ranking.sources.find((row) => row.name === 'web');
    assert.equal(web?.usable, false);
    assert.equal(web?.url, null);
    assert.equal(web?.reason, 'probe-only: no rsync url; 1h behind master');
    assert.deepEqual(names(ranking), ['master', 'web']);
  });

  test('lag is measured against the master, or the newest source when the master is down', () => {
    const cfg = config([source('master', { master: true }), source('a'), source('b')]);
    const withMaster = rank({ config: cfg, probes: [ok('master', 1, 5), ok('a', 0, 5), ok('b', 3, 5)] });
    assert.equal(withMaster.sources.find((row) => row.name === 'b')?.lagSeconds, 2 * 3600);
    assert.equal(withMaster.sources.find((row) => row.name === 'a')?.lagSeconds, -3600);
    const masterDown = rank({ config: cfg, probes: [failed('master', 'unreachable', 'connection refused'), ok('a', 0, 5), ok('b', 3, 5)] });
    assert.equal(masterDown.sources.find((row) => row.name === 'b')?.lagSeconds, 3 * 3600);
    assert.equal(masterDown.sources.find((row) => row.name === 'master')?.lagSeconds, null);
  });

  test('recent failures in history push a source behind equally fresh ones', () => {
    const history = new Map<string, SourceHistory>([['fast', { recentFailures: 2, bytesPerSecond: null }]]);
    const ranking = rank({ config: network, history, probes: [ok('master', 0, 30), ok('fast', 0, 5), ok('slow', 0, 50), ok('stale', 72, 1)] });
    assert.deepEqual(names(ranking), ['master', 'slow', 'fast', 'stale']);
    assert.match(ranking.sources[2]?.reason ?? '', /2 recent failures/);
  });

  test('without history the order is the plain one', () => {
    const probes = [ok('master', 0, 30), ok('fast', 0, 5), ok('slow', 0, 50), ok('stale', 0, 1)];
    assert.deepEqual(names(rank({ config: network, probes })), names(rank({ config: network, probes, history: new Map() })));
  });

  test('ties are broken by name so the order is stable', () => {
    const cfg = config([source('master', { master: true }), source('zeta'), source('alpha')]);
    assert.deepEqual(names(rank({ config: cfg, probes: [ok('master', 0, 5), ok('zeta', 0, 5), ok('alpha', 0, 5)] })), ['alpha', 'master', 'zeta']);
  });

  test('a source with no latency sorts after one with a measured latency', () => {
    const cfg = config([source('master', { master: true }), source('x')]);
    const unmeasured: ProbeResult = { ...ok('x', 0, 0), latencyMs: null };
    assert.deepEqual(names(rank({ config: cfg, probes: [unmeasured, ok('master', 0, 500)] })), ['master', 'x']);
  });

  test('upToDate is false when the local copy has no freshness', () => {
    const cfg = config([source('master', { master: true })]);
    assert.equal(rank({ config: cfg, probes: [ok('master', 0, 5)] }).upToDate, false);
  });

  test('a source missing from the probes is shown as not probed', () => {
    const cfg = config([source('master', { master: true }), source('x')]);
    const row = rank({ config: cfg, probes: [ok('master', 0, 5)] }).sources.find((r) => r.name === 'x');
    assert.equal(row?.usable, false);
    assert.equal(row?.reason, 'not probed');
  });

  test('passwords never appear in ranked urls', () => {
    const cfg = config([source('master', { master: true, url: 'rsync://user:s3cret@host.example/sage/' })]);
    const ranking = rank({ config: cfg, probes: [ok('master', 0, 5)] });
    assert.equal(ranking.sources[0]?.url, 'rsync://user:***@host.example/sage/');
  });
});

describe('rankSources: the master is the authority on time', () => {
  const network = config([source('master', { master: true }), source('honest'), source('liar'), source('late')]);
  const row = (ranking: ReturnType<typeof rank>, name: string) => ranking.sources.find((entry) => entry.name === name);

  test('an alternate claiming a newer publication than a reachable master is refused, and does not set the newest', () => {
    const ranking = rank({ config: network, probes: [ok('master', 0, 30), ok('honest', 0, 40), ok('liar', -3, 1), ok('late', 2, 50)] });
    assert.deepEqual(names(ranking), ['master', 'honest', 'late', 'liar']);
    const liar = row(ranking, 'liar');
    assert.equal(liar?.usable, false);
    assert.equal(liar?.verdict, 'ahead-of-master');
    assert.match(liar?.reason ?? '', /^refused: claims a publication newer than the master's \(by 3h\)/);
    assert.equal(ranking.newest?.at.toISOString(), new Date(NOW).toISOString());
    assert.equal(row(ranking, 'honest')?.reason, 'fresh');
    assert.equal(row(ranking, 'master')?.lagSeconds, 0);
  });

  test('the same date with another identity than the master is not believed either', () => {
    const ranking = rank({ config: network, probes: [ok('master', 0, 30, 'v1'), ok('liar', 0, 1, 'v2')] });
    assert.equal(row(ranking, 'liar')?.verdict, 'ahead-of-master');
    assert.match(row(ranking, 'liar')?.reason ?? '', /another identity on the same date/);
  });

  test('a bootstrap is not served by a liar: refused in initial mode too, where the master goes last', () => {
    const ranking = rank({ config: network, mode: 'initial', probes: [ok('master', 0, 1), ok('liar', -1, 1), ok('honest', 0, 9)] });
    assert.deepEqual(ranking.sources.filter((entry) => entry.usable).map((entry) => entry.name), ['honest', 'master']);
  });

  test('when the master is unreachable, alternates are judged among themselves (the skew bounds them at probe time)', () => {
    const ranking = rank({ config: network, probes: [failed('master', 'unreachable', 'connection refused'), ok('liar', -1, 1), ok('honest', 0, 9)] });
    assert.equal(row(ranking, 'liar')?.usable, true);
    assert.equal(ranking.master, null);
  });

  test('a master whose trace is from the future is unusable and says so', () => {
    const ranking = rank({ config: network, probes: [failed('master', 'future', "dated 2026-11-24T03:00:00.000Z, 3h ahead of this host's clock"), ok('honest', 0, 9)] });
    assert.equal(row(ranking, 'master')?.usable, false);
    assert.match(row(ranking, 'master')?.reason ?? '', /^trace from the future: dated/);
    assert.equal(row(ranking, 'honest')?.usable, true);
  });

  test('a local copy newer than the master is brought back to the master: a recall, never up to date', () => {
    const local = { freshness: { at: new Date(NOW + 3 * HOUR) } };
    const ranking = rank({ config: network, local, probes: [ok('master', 0, 30), ok('honest', 0, 40), ok('liar', -3, 1), ok('late', 2, 5)] });
    assert.deepEqual(ranking.sources.filter((entry) => entry.usable).map((entry) => entry.name), ['master', 'honest']);
    assert.equal(ranking.upToDate, false);
    assert.deepEqual(ranking.recall, { local: new Date(NOW + 3 * HOUR).toISOString(), master: new Date(NOW).toISOString() });
    assert.equal(ranking.floor?.at.toISOString(), new Date(NOW).toISOString());
    assert.match(row(ranking, 'master')?.reason ?? '', /brought back to the master's/);
    assert.equal(row(ranking, 'liar')?.verdict, 'ahead-of-master');
    assert.match(row(ranking, 'late')?.reason ?? '', /^older than the master's publication by 2h/);
  });

  test('no recall when the local copy holds the master publication, or an older one', () => {
    const same = rank({ config: network, local: { freshness: { at: new Date(NOW) } }, probes: [ok('master', 0, 30), ok('liar', -3, 1)] });
    assert.equal(same.recall, null);
    assert.equal(same.upToDate, true);
    assert.equal(row(same, 'master')?.verdict, 'nothing-new');
    const older = rank({ config: network, local: { freshness: { at: new Date(NOW - HOUR) } }, probes: [ok('master', 0, 30)] });
    assert.equal(older.recall, null);
    assert.equal(row(older, 'master')?.usable, true);
  });
});
