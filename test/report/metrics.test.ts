import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectMetrics, renderFamilies, renderMetrics, writeMetricsFile } from '../../src/report/metrics.js';
import type { RunStatus } from '../../src/report/run-status.js';
import { gatherProm, parseProm } from './prom-parse.js';
import type { PromFamily } from './prom-parse.js';

const synced: RunStatus = {
  result: 'synced',
  mode: 'incremental',
  startedAt: '2026-11-24T02:00:00.000Z',
  endedAt: '2026-11-24T02:03:11.500Z',
  source: 'mit',
  tried: [
    { name: 'aarnet', exitCode: 30, error: 'timeout in data send/receive' },
    { name: 'mit', exitCode: 0, error: null },
  ],
  bytesReceived: 123_456_789,
  filesTransferred: 42,
  freshness: '2026-11-24T01:58:29.000Z',
  lagSeconds: 0,
  lastSuccessAt: '2026-11-24T02:03:11.500Z',
  error: null,
};

const awkward = 'we "quote" \\ and\nbreak';

function family(families: Map<string, PromFamily>, name: string): PromFamily {
  const found = families.get(name);
  assert.ok(found, `${name} is missing`);
  return found;
}

function onlyValue(families: Map<string, PromFamily>, name: string): number {
  const { samples } = family(families, name);
  assert.equal(samples.length, 1, name);
  return samples[0]?.value ?? NaN;
}

describe('renderMetrics', () => {
  const text = renderMetrics({
    mirror: 'sage',
    status: synced,
    sources: [
      { name: 'mit', up: true, lagSeconds: 0 },
      { name: 'aarnet', up: false, lagSeconds: null },
      { name: awkward, up: true, lagSeconds: 86_400.5 },
    ],
    durationSeconds: 191.5,
  });

  test('parses back as the text format: HELP and TYPE before every sample, valid names and floats', () => {
    const families = parseProm(text);
    for (const [name, f] of families) {
      assert.match(name, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      assert.equal(f.type, 'gauge', name);
      assert.notEqual(f.help, '', name);
      assert.ok(f.samples.length > 0, `${name} has HELP/TYPE but no sample`);
    }
  });

  test('carries the run: last success, run end, duration, bytes, files, sources tried', () => {
    const families = parseProm(text);
    assert.equal(onlyValue(families, 'mirrorsync_last_success_timestamp_seconds'), Date.parse(synced.endedAt ?? '') / 1000);
    assert.equal(onlyValue(families, 'mirrorsync_last_run_timestamp_seconds'), 1_795_485_791.5);
    assert.equal(onlyValue(families, 'mirrorsync_last_run_duration_seconds'), 191.5);
    assert.equal(onlyValue(families, 'mirrorsync_last_run_received_bytes'), 123_456_789);
    assert.equal(onlyValue(families, 'mirrorsync_last_run_files_transferred'), 42);
    assert.equal(onlyValue(families, 'mirrorsync_sources_tried'), 2);
    assert.equal(onlyValue(families, 'mirrorsync_freshness_timestamp_seconds'), Date.parse('2026-11-24T01:58:29Z') / 1000);
  });

  test('has one result series per possible result, 1 for the actual one', () => {
    const results = family(parseProm(text), 'mirrorsync_last_run_result').samples;
    assert.deepEqual(results.map((s) => s.labels['result']).sort(), ['failed', 'interrupted', 'noop', 'running', 'synced']);
    assert.deepEqual(
      results.filter((s) => s.value === 1).map((s) => s.labels['result']),
      ['synced'],
    );
    assert.ok(results.every((s) => s.value === 0 || s.value === 1));
  });

  test('has one up series per source and lag only where known; a name with quotes, backslash and newline round-trips', () => {
    const families = parseProm(text);
    const up = family(families, 'mirrorsync_source_up').samples;
    assert.deepEqual(
      up.map((s) => [s.labels['mirror'], s.labels['source'], s.value]),
      [['sage', 'mit', 1], ['sage', 'aarnet', 0], ['sage', awkward, 1]],
    );
    const lag = family(families, 'mirrorsync_source_lag_seconds').samples;
    assert.deepEqual(
      lag.map((s) => [s.labels['source'], s.value]),
      [['mit', 0], [awkward, 86_400.5]],
    );
  });

  test('a mirror that never succeeded reports 0 as its last success, and a running one uses now as the run time', () => {
    const running: RunStatus = { ...synced, result: 'running', endedAt: null, lastSuccessAt: null, freshness: null, lagSeconds: null, tried: [] };
    const families = parseProm(
      renderMetrics({ mirror: 'sage', status: running, sources: [{ name: 'mit', up: false, lagSeconds: null }], now: new Date('2026-11-24T03:00:00Z'), durationSeconds: 1 }),
    );
    assert.equal(onlyValue(families, 'mirrorsync_last_success_timestamp_seconds'), 0);
    assert.equal(onlyValue(families, 'mirrorsync_last_run_timestamp_seconds'), Date.parse('2026-11-24T03:00:00Z') / 1000);
    assert.equal(families.has('mirrorsync_source_lag_seconds'), false);
    assert.equal(families.has('mirrorsync_freshness_timestamp_seconds'), false);
    assert.equal(families.has('mirrorsync_lag_seconds'), false);
    assert.equal(family(families, 'mirrorsync_last_run_result').samples.find((s) => s.value === 1)?.labels['result'], 'running');
  });
});

describe('two mirrors in one textfile directory', () => {
  const sources = [
    { name: 'master', up: true, lagSeconds: 0 },
    { name: 'mit', up: false, lagSeconds: null },
  ];
  const sage = renderMetrics({ mirror: 'sage', status: synced, sources, durationSeconds: 10 });
  const debian = renderMetrics({ mirror: 'debian', status: { ...synced, result: 'failed', bytesReceived: 7 }, sources, durationSeconds: 20 });

  test('gather together as node_exporter does: same HELP and TYPE, no series twice', () => {
    const families = gatherProm([
      ['sage.prom', sage],
      ['debian.prom', debian],
    ]);
    assert.deepEqual(
      family(families, 'mirrorsync_last_run_received_bytes').samples.map((s) => [s.labels['mirror'], s.value]),
      [['sage', 123_456_789], ['debian', 7]],
    );
    assert.deepEqual(
      family(families, 'mirrorsync_source_up').samples.map((s) => `${s.labels['mirror']}/${s.labels['source']}`),
      ['sage/master', 'sage/mit', 'debian/master', 'debian/mit'],
    );
  });

  test('every series carries the mirror label, and every byte metric ends in _bytes', () => {
    for (const [name, f] of parseProm(sage)) {
      for (const sample of f.samples) assert.equal(sample.labels['mirror'], 'sage', name);
      if (/bytes/.test(name)) assert.match(name, /_bytes$/);
    }
  });

  test('one mirror\'s file twice collides: the gatherer catches what the label prevents', () => {
    assert.throws(() => gatherProm([['a.prom', sage], ['b.prom', sage]]), /collected before/);
  });

  test('both mirrors in one file (a host-wide file) keep each family together', () => {
    const text = renderFamilies([...collectMetrics({ mirror: 'sage', status: synced, sources, durationSeconds: 1 }), ...collectMetrics({ mirror: 'debian', status: synced, sources, durationSeconds: 2 })]);
    assert.deepEqual(
      family(parseProm(text), 'mirrorsync_last_run_duration_seconds').samples.map((s) => [s.labels['mirror'], s.value]),
      [['sage', 1], ['debian', 2]],
    );
  });
});

describe('the test parser refuses what the format does not allow', () => {
  const bad: Array<[string, string]> = [
    ['a sample without HELP/TYPE', 'x 1\n'],
    ['an invalid metric name', '# HELP 1x h\n# TYPE 1x gauge\n1x 1\n'],
    ['a value that is not a float', '# HELP x h\n# TYPE x gauge\nx one\n'],
    ['an unknown escape in a label value', '# HELP x h\n# TYPE x gauge\nx{a="\\q"} 1\n'],
    ['an unescaped quote in a label value', '# HELP x h\n# TYPE x gauge\nx{a="a"b"} 1\n'],
    ['a missing final newline', '# HELP x h\n# TYPE x gauge\nx 1'],
    ['a duplicate series', '# HELP x h\n# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n'],
    ['a family split in two', '# HELP x h\n# TYPE x gauge\nx 1\n# HELP y h\n# TYPE y gauge\ny 1\nx{a="b"} 2\n'],
  ];
  for (const [what, text] of bad) {
    test(what, () => assert.throws(() => parseProm(text)));
  }
});

describe('writeMetricsFile', () => {
  let dir = '';
  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test('writes the text under the given name and leaves no temp file for the collector to read', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mirrorsync-metrics-'));
    const path = join(dir, 'mirrorsync.prom');
    const text = renderMetrics({ mirror: 'sage', status: synced, sources: [], durationSeconds: 3 });
    await writeMetricsFile(path, text);
    await writeMetricsFile(path, text);
    assert.equal(await readFile(path, 'utf8'), text);
    assert.deepEqual(await readdir(dir), ['mirrorsync.prom']);
  });

  test('a folder that does not exist is a local failure', async () => {
    await assert.rejects(writeMetricsFile(join(dir, 'missing', 'm.prom'), 'x'), { code: 'sync.local' });
  });
});
