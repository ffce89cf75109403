import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildNetwork, HOUR_MS, makeTree, TRACE_PATH, useLab, type Lab } from '../lab/index.js';
import { runCli } from '../support/cli.js';
import { cliPath, repoRoot } from '../support/paths.js';

interface RankRow {
  name: string;
  usable: boolean;
  reachable: boolean;
  master: boolean;
  lagSeconds: number | null;
  freshness: string | null;
  latencyMs: number | null;
  reason: string;
}

const NOW = Date.now();
// The silent and slow sources cost each rank one deadline: short enough to keep the file quick,
// long enough for the healthy daemons beside them to answer on a busy machine.
const PROBE_TIMEOUT_MS = 5000;

async function network(lab: Lab) {
  const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR_MS);
  return buildNetwork(lab, {
    probe: { timeoutMs: PROBE_TIMEOUT_MS },
    sources: [
      { name: 'master', master: true, tree: { files: 10, seed: 'v2', trace: { path: TRACE_PATH, at: at(1) } } },
      { name: 'fresh', tree: { files: 10, seed: 'v2', trace: { path: TRACE_PATH, at: at(1) } } },
      { name: 'stale', tree: { files: 10, seed: 'v1', trace: { path: TRACE_PATH, at: at(73) } } },
      { name: 'refused', kind: 'closed' },
      { name: 'stalled', kind: 'stall' },
      { name: 'web', kind: 'http-only', tree: { files: 1, seed: 'v2', trace: { path: TRACE_PATH, at: at(2) } } },
      { name: 'slowweb', kind: 'http-only', httpMode: 'slow', tree: { files: 1, seed: 'v2', trace: { path: TRACE_PATH, at: at(1) } } },
      { name: 'hugeweb', kind: 'http-only', httpMode: 'huge', tree: { files: 1, seed: 'v2', trace: { path: TRACE_PATH, at: at(1) } } },
    ],
  });
}

async function rank(args: string[]): Promise<{ code: number | null; mode: string; rows: RankRow[]; durationMs: number; stderr: string }> {
  const result = await runCli(['sources', 'rank', '--json', ...args]);
  const parsed = JSON.parse(result.stdout) as { mode: string; sources: RankRow[] };
  return { code: result.code, mode: parsed.mode, rows: parsed.sources, durationMs: result.durationMs, stderr: result.stderr };
}

describe('mirrorsync sources rank on a lab network', () => {
  test('ranks a new mirror: fresh alternates, then the master, then stale; every unusable source says why', async (t) => {
    const lab = await useLab(t);
    const net = await network(lab);
    const { code, mode, rows, durationMs } = await rank(['--config', net.configPath]);
    t.diagnostic(`rank took ${Math.round(durationMs)} ms with a ${PROBE_TIMEOUT_MS} ms probe timeout`);
    assert.equal(code, 0);
    assert.equal(mode, 'initial');
    assert.deepEqual(rows.slice(0, 3).map((row) => row.name), ['fresh', 'master', 'stale']);
    assert.ok(rows.slice(0, 3).every((row) => row.usable));
    const byName = new Map(rows.map((row) => [row.name, row]));
    assert.match(byName.get('master')?.reason ?? '', /master: kept for last in initial sync/);
    assert.ok(Math.abs((byName.get('stale')?.lagSeconds ?? 0) - 72 * 3600) <= 60, `lag ${byName.get('stale')?.lagSeconds}`);
    assert.equal(byName.get('stale')?.reason, 'stale: 3d behind master');
    assert.equal(byName.get('refused')?.usable, false);
    assert.equal(byName.get('refused')?.reachable, false);
    assert.match(byName.get('refused')?.reason ?? '', /^unreachable: .*refused/);
    assert.equal(byName.get('stalled')?.usable, false);
    assert.match(byName.get('stalled')?.reason ?? '', new RegExp(`^unreachable: no answer within ${PROBE_TIMEOUT_MS} ms`));
    assert.match(byName.get('web')?.reason ?? '', /^probe-only: no rsync url; 1h behind master/);
    assert.equal(byName.get('web')?.usable, false);
    assert.match(byName.get('slowweb')?.reason ?? '', new RegExp(`no answer within ${PROBE_TIMEOUT_MS} ms`));
    assert.match(byName.get('hugeweb')?.reason ?? '', /^trace unreadable: .*64 KiB/);
    for (const row of rows.slice(3)) assert.equal(row.usable, false, row.name);
    // That probes run concurrently is shown in test/sources/probe.test.ts; the time it saves is bench/'s.
  });

  test('ranks an existing mirror in incremental mode: only sources with something new are usable', async (t) => {
    const lab = await useLab(t);
    const net = await network(lab);
    // The local copy holds the stale publication plus one newer hour: stale is older than local.
    await makeTree(net.target, { files: 3, seed: 'local', trace: { path: TRACE_PATH, at: new Date(NOW - 2 * HOUR_MS) } });
    const { code, mode, rows } = await rank(['--config', net.configPath]);
    assert.equal(code, 0);
    assert.equal(mode, 'incremental');
    const byName = new Map(rows.map((row) => [row.name, row]));
    assert.deepEqual(rows.filter((row) => row.usable).map((row) => row.name).sort(), ['fresh', 'master']);
    assert.equal(byName.get('stale')?.reason, 'older than local copy by 2d 23h: would roll the mirror back');
    assert.equal(byName.get('master')?.reason, 'fresh');

    // Once the mirror holds the newest publication, nothing is usable, and that is not a failure.
    await makeTree(net.target, { files: 0, trace: { path: TRACE_PATH, at: new Date(NOW - HOUR_MS) } });
    const upToDate = await rank(['--config', net.configPath]);
    assert.equal(upToDate.code, 0);
    assert.ok(upToDate.rows.every((row) => !row.usable));
    assert.equal(upToDate.rows.find((row) => row.name === 'master')?.reason, 'nothing new: same publication as the local copy');
  });

  test('a garbage trace makes its source unusable and the reason says so; no usable source exits 69', async (t) => {
    const lab = await useLab(t);
    const dir = lab.path('junk-tree');
    await makeTree(dir, { files: 3, seed: 'junk' });
    await mkdir(join(dir, 'zzz'), { recursive: true });
    await writeFile(join(dir, TRACE_PATH), '<html>Sorry, this page moved</html>\n');
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { dir } }] });
    const { code, rows } = await rank(['--config', net.configPath]);
    assert.equal(code, 69);
    assert.equal(rows[0]?.usable, false);
    assert.match(rows[0]?.reason ?? '', /^trace unreadable: no date found/);
  });

  test('the human table lists every source with its reason', async (t) => {
    const lab = await useLab(t);
    const net = await network(lab);
    const result = await runCli(['sources', 'rank', '--config', net.configPath]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^mode: initial; local copy: none/);
    assert.match(result.stdout, /SOURCE\s+REACHABLE\s+LATENCY\s+FRESHNESS\s+LAG\s+USABLE\s+REASON/);
    assert.match(result.stdout, /stale\s+yes\s+[\d.]+ ms\s+\S+\s+3d\s+yes\s+stale: 3d behind master/);
    assert.match(result.stdout, /refused\s+no\s+-\s+-\s+-\s+no\s+unreachable/);
  });

  test('the shipped sources.json with no network answers within the probe timeout, every source unreachable, exit 69', (t) => {
    // A network namespace of our own keeps the probes on this machine: no DNS, no route anywhere.
    const probe = spawnSync('unshare', ['-n', 'true']);
    if (probe.status !== 0) {
      t.skip('unshare -n is not permitted here (needs root or user namespaces), so the network cannot be cut off');
      return;
    }
    const started = performance.now();
    // The timeout guards against a hang (DNS, a connect without a deadline): many times the 5 s probe timeout.
    const result = spawnSync('unshare', ['-n', process.execPath, cliPath, 'sources', 'rank', '--json', '--config', join(repoRoot, 'sources.json'), '--target', '/srv/mirror/test-nothing-here'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    t.diagnostic(`took ${Math.round(performance.now() - started)} ms with a 5000 ms probe timeout`);
    assert.equal(result.status, 69, result.stderr);
    const parsed = JSON.parse(result.stdout) as { sources: RankRow[] };
    assert.equal(parsed.sources.length, 20);
    assert.ok(parsed.sources.every((row) => !row.usable && !row.reachable));
  });
});
