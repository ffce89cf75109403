import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { treeDigest, useLab } from '../lab/index.js';
import { listenOnLoopback } from '../lab/ports.js';
import { runCli, startCli } from '../support/cli.js';
import { buildHost, connections, peakConcurrency, transfers, type LabHost, type LabMirror } from './support.js';

interface Row {
  name: string;
  exitCode: number;
  result: string;
  error: { code: string; message: string } | null;
}

function rowsOf(stdout: string): Row[] {
  return (JSON.parse(stdout) as { mirrors: Row[] }).mirrors;
}

async function assertMirrored(host: LabHost, name: string): Promise<void> {
  assert.deepEqual(await treeDigest(host.target(name), { exclude: ['.mirrorsync'] }), await treeDigest(host.tree(name)), `${name} is not a copy of its source`);
}

// 8 mirrors over 3 upstreams (3, 3, 2), each connection throttled by its daemon so a transfer
// lasts long enough that two at once on one daemon would show in its log.
const EIGHT: LabMirror[] = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'c1', 'c2'].map((name) => ({ name, upstream: `up-${name[0] ?? ''}` }));
const UPSTREAMS = ['up-a', 'up-b', 'up-c'].map((name) => ({ name, bwlimitKBps: 32 }));
const LIMITS = { maxConcurrentJobs: 3, maxConnectionsPerUpstream: 1 };

async function assertOneTransferAtATime(host: LabHost): Promise<void> {
  for (const [name, daemon] of host.daemons) {
    const list = transfers(await daemon.log());
    assert.ok(list.length >= 1, `${name} served no transfer`);
    assert.equal(peakConcurrency(list), 1, `${name} served ${peakConcurrency(list)} transfers at once:\n${await daemon.log()}`);
  }
}

describe('sync --all within the host limits (real daemons)', () => {
  test('8 mirrors, 3 upstreams, 3 jobs, 1 connection per upstream: every mirror synced, never two transfers at once on one upstream', async (t) => {
    const lab = await useLab(t);
    const host = await buildHost(lab, { host: LIMITS, upstreams: UPSTREAMS, mirrors: EIGHT });
    const result = await runCli(['sync', '--all', '--config-dir', host.dir, '--json'], { timeoutMs: 240_000 });
    assert.equal(result.code, 0, result.stderr);
    const rows = rowsOf(result.stdout);
    assert.deepEqual(rows.map((row) => [row.name, row.result, row.exitCode]), EIGHT.map((mirror) => [mirror.name, 'synced', 0]));
    for (const mirror of EIGHT) await assertMirrored(host, mirror.name);
    await assertOneTransferAtATime(host);
  });

  test('two sync --all started together share the limits: each mirror synced once, never two transfers at once on one upstream', async (t) => {
    const lab = await useLab(t);
    const host = await buildHost(lab, { host: LIMITS, upstreams: UPSTREAMS, mirrors: EIGHT });
    const first = startCli(['sync', '--all', '--config-dir', host.dir, '--json'], { timeoutMs: 240_000 });
    const second = startCli(['sync', '--all', '--config-dir', host.dir, '--json'], { timeoutMs: 240_000 });
    const results = await Promise.all([first.done, second.done]);
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const [one, two] = results.map((result) => rowsOf(result.stdout));
    for (const [index, mirror] of EIGHT.entries()) {
      const pair = [one?.[index]?.result, two?.[index]?.result].sort();
      // One run synced it; the other found it syncing (lock held) or already synced (no-op).
      assert.ok(pair.filter((result) => result === 'synced').length === 1 && pair.every((result) => ['synced', 'syncing', 'noop'].includes(result ?? '')), `${mirror.name}: ${pair.join(', ')}`);
      await assertMirrored(host, mirror.name);
    }
    await assertOneTransferAtATime(host);
  });

  test("one mirror's source dead: the others sync, exit 1, its row says why", async (t) => {
    const lab = await useLab(t);
    // Owned for the whole test: accepts and hangs up at once, like a host whose daemon died.
    const dead = createServer((socket) => socket.destroy());
    const port = await listenOnLoopback(dead, 'dead upstream');
    t.after(() => new Promise<void>((resolve) => dead.close(() => resolve())));
    const mirrors: LabMirror[] = [
      { name: 'alive1', upstream: 'up' },
      { name: 'gone', upstream: 'up', extra: { sources: [{ name: 'dead', url: `rsync://127.0.0.1:${port}/sage/`, master: true }] } },
      { name: 'alive2', upstream: 'up' },
    ];
    const host = await buildHost(lab, { host: {}, upstreams: [{ name: 'up' }], mirrors });
    const result = await runCli(['sync', '--all', '--config-dir', host.dir, '--json'], { timeoutMs: 120_000 });
    assert.equal(result.code, 1, result.stderr);
    const rows = rowsOf(result.stdout);
    assert.deepEqual(rows.map((row) => [row.name, row.result]), [['alive1', 'synced'], ['alive2', 'synced'], ['gone', 'failed']]);
    const gone = rows[2];
    assert.equal(gone?.exitCode, 69);
    assert.equal(gone?.error?.code, 'sources.noneUsable');
    assert.match(gone?.error?.message ?? '', /dead: refused: not an rsync daemon/);
    await assertMirrored(host, 'alive1');
    await assertMirrored(host, 'alive2');
  });

  test('an invalid host.json: exit 78 naming the file, and nothing runs', async (t) => {
    const lab = await useLab(t);
    const host = await buildHost(lab, { host: {}, upstreams: [{ name: 'up' }], mirrors: [{ name: 'm', upstream: 'up' }] });
    await writeFile(join(host.dir, 'host.json'), JSON.stringify({ maxConcurrentJobs: 'three' }));
    for (const args of [['sync', '--all'], ['sync', 'm']]) {
      const result = await runCli([...args, '--config-dir', host.dir]);
      assert.equal(result.code, 78, result.stderr);
      assert.match(result.stderr, new RegExp(`${join(host.dir, 'host.json')}: 1 problem:\\nmaxConcurrentJobs: must be an integer from 1 to 64, got string 'three'`));
    }
    assert.deepEqual(connections(await host.daemons.get('up')?.log() ?? ''), [], 'the daemon saw a connection');
  });

  test('an invalid mirror file fails that mirror with 78 in the list; sync NAME of it exits 78; an unknown NAME is a usage error', async (t) => {
    const lab = await useLab(t);
    const host = await buildHost(lab, { host: {}, upstreams: [{ name: 'up' }], mirrors: [{ name: 'good', upstream: 'up' }] });
    await writeFile(join(host.dir, 'mirrors', 'broken.json'), '{"target": "/srv/mirror/x", "sources": []');
    const all = await runCli(['sync', '--all', '--config-dir', host.dir, '--json']);
    assert.equal(all.code, 1, all.stderr);
    const rows = rowsOf(all.stdout);
    assert.deepEqual(rows.map((row) => [row.name, row.result, row.exitCode]), [['broken', 'failed', 78], ['good', 'synced', 0]]);
    assert.match(rows[0]?.error?.message ?? '', /broken\.json:1:\d+: invalid JSON/);
    const one = await runCli(['sync', 'broken', '--config-dir', host.dir]);
    assert.equal(one.code, 78);
    assert.match(one.stderr, /broken\.json:1:\d+: invalid JSON/);
    const unknown = await runCli(['sync', 'nope', '--config-dir', host.dir]);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /no mirror named 'nope' in .*\(broken, good\)/);
    const both = await runCli(['sync', 'good', '--all', '--config-dir', host.dir]);
    assert.equal(both.code, 64);
  });

  test('sync NAME syncs that mirror alone, with the layered config, from $MIRRORSYNC_CONFIG_DIR', async (t) => {
    const lab = await useLab(t);
    const host = await buildHost(lab, { host: { defaults: { rsync: { args: ['--hard-links'] } } }, upstreams: [{ name: 'up' }], mirrors: [{ name: 'one', upstream: 'up' }, { name: 'two', upstream: 'up' }] });
    const result = await runCli(['sync', 'two', '--json'], { env: { MIRRORSYNC_CONFIG_DIR: host.dir } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { result: string }).result, 'synced');
    await assertMirrored(host, 'two');
    assert.match(await readFile(join(host.target('two'), '.mirrorsync', 'last-run.log'), 'utf8'), /== bulk pass from up: rsync .*--hard-links/);
    assert.equal(await readFile(join(host.target('one'), '.mirrorsync', 'status.json'), 'utf8').catch(() => 'absent'), 'absent');
  });
});

describe('the disk floor (a small tmpfs)', () => {
  const mounted: string[] = [];
  after(() => {
    for (const dir of mounted) execFileSync('umount', ['-l', dir]);
  });

  test('a mirror whose filesystem is under minFreeBytes fails with sync.diskFloor before any rsync; one on another filesystem syncs', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('mounting a tmpfs needs root');
    const lab = await useLab(t);
    const small = lab.path('small');
    const mirrors: LabMirror[] = [
      { name: 'cramped', upstream: 'up-cramped', extra: { target: join(small, 'cramped') } },
      { name: 'roomy', upstream: 'up-roomy' },
    ];
    const host = await buildHost(lab, { host: { minFreeBytes: 64 * 1024 * 1024 }, upstreams: [{ name: 'up-cramped' }, { name: 'up-roomy' }], mirrors });
    await mkdir(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small]);
    mounted.push(small);
    const result = await runCli(['sync', '--all', '--config-dir', host.dir, '--json'], { timeoutMs: 120_000 });
    assert.equal(result.code, 1, result.stderr);
    const rows = rowsOf(result.stdout);
    assert.deepEqual(rows.map((row) => [row.name, row.result, row.exitCode, row.error?.code ?? null]), [['cramped', 'failed', 74, 'sync.diskFloor'], ['roomy', 'synced', 0, null]]);
    assert.match(rows[0]?.error?.message ?? '', /bytes free, under the host's floor minFreeBytes = 67108864/);
    assert.deepEqual(connections(await host.daemons.get('up-cramped')?.log() ?? ''), [], 'the cramped mirror\'s upstream saw a connection');
    await assertMirrored(host, 'roomy');
  });
});
