import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { makeTree, TRACE_PATH, treeDigest, useLab, writeTrace } from '../lab/index.js';
import { listenOnLoopback } from '../lab/ports.js';
import { runCli, startCli } from '../support/cli.js';
import { bytesUnder, rsyncProcesses, waitFor } from '../faults/support.js';
import { isFlockHeld } from '../../src/host/slots.js';
import { buildHost, moduleRequests, peakConcurrency, transfers, type LabHost, type LabMirror } from './support.js';

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
    // Owned for the whole test: accepts and hangs up at once, like a host whose daemon died. end(),
    // not destroy(): a socket destroyed with the client's greeting unread sends a reset instead of
    // an end of stream, and which one rsync saw would depend on how fast the greeting arrived.
    const dead = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end();
    });
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
    assert.deepEqual(moduleRequests(await host.daemons.get('up')?.log() ?? ''), [], 'the daemon was asked for its module');
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
  // Outside the lab's folder: the lab removes its folder when the test ends, before this unmounts.
  const mounted: string[] = [];
  after(async () => {
    for (const dir of mounted) {
      execFileSync('umount', ['-l', dir]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a mirror whose filesystem is under minFreeBytes fails with sync.diskFloor before any rsync; one on another filesystem syncs', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('mounting a tmpfs needs root');
    const lab = await useLab(t);
    const small = await mkdtemp(join(tmpdir(), 'mirrorsync-small-fs-'));
    const mirrors: LabMirror[] = [
      { name: 'cramped', upstream: 'up-cramped', extra: { target: join(small, 'cramped') } },
      { name: 'roomy', upstream: 'up-roomy' },
    ];
    const host = await buildHost(lab, { host: { minFreeBytes: 64 * 1024 * 1024 }, upstreams: [{ name: 'up-cramped' }, { name: 'up-roomy' }], mirrors });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small]);
    mounted.push(small);
    const result = await runCli(['sync', '--all', '--config-dir', host.dir, '--json'], { timeoutMs: 120_000 });
    assert.equal(result.code, 1, result.stderr);
    const rows = rowsOf(result.stdout);
    assert.deepEqual(rows.map((row) => [row.name, row.result, row.exitCode, row.error?.code ?? null]), [['cramped', 'failed', 74, 'sync.diskFloor'], ['roomy', 'synced', 0, null]]);
    assert.match(rows[0]?.error?.message ?? '', /bytes free, under the host's floor minFreeBytes = 67108864/);
    assert.deepEqual(moduleRequests(await host.daemons.get('up-cramped')?.log() ?? ''), [], 'the cramped mirror\'s upstream was asked for its module');
    await assertMirrored(host, 'roomy');
  });
});

describe('partial mirrors: filters', () => {
  async function partialHost(t: TestContext, names: string[]): Promise<LabHost> {
    const lab = await useLab(t);
    const host = await buildHost(lab, { host: {}, upstreams: [{ name: 'up' }], mirrors: names.map((name) => ({ name, upstream: 'up', tree: { files: 10 } })) });
    for (const name of names) {
      await makeTree(join(host.tree(name), 'arm64'), { files: 6, seed: `${name}-arm` });
      await makeTree(join(host.tree(name), 'keep', 'arm64'), { files: 2, seed: `${name}-deep` });
    }
    return host;
  }

  const withoutArm = async (dir: string) => new Map([...(await treeDigest(dir, { exclude: ['.mirrorsync'] }))].filter(([path]) => !path.startsWith('arm64')));

  test('excluded paths never arrive; an anchored rule leaves the same name deeper down alone', async (t) => {
    const host = await partialHost(t, ['deb']);
    await host.writeMirror({ name: 'deb', upstream: 'up', extra: { filters: ['- /arm64/'] } });
    const result = await runCli(['sync', 'deb', '--config-dir', host.dir, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await treeDigest(host.target('deb'), { exclude: ['.mirrorsync'] }), await withoutArm(host.tree('deb')));
    const sent = transfers(await (host.daemons.get('up')?.log() ?? '')).flatMap((connection) => connection.sent);
    assert.ok(sent.some((path) => path.includes('keep/arm64/')), 'the deeper arm64 folder was not sent');
    assert.deepEqual(sent.filter((path) => /(^|\/)deb\/arm64\//.test(path) || path.startsWith('arm64/')), [], 'an excluded file was sent');
  });

  test('filters added later: what they leave out is removed within the max-delete guard, and the state folder stays', async (t) => {
    const host = await partialHost(t, ['roomy', 'guarded']);
    for (const name of ['roomy', 'guarded']) {
      const full = await runCli(['sync', name, '--config-dir', host.dir]);
      assert.equal(full.code, 0, full.stderr);
      assert.ok((await treeDigest(host.target(name))).has('arm64'), `${name}: the full mirror has no arm64`);
      // The next publication comes with the mirror made partial.
      await writeTrace(host.tree(name), TRACE_PATH, new Date(Date.now() - 60_000));
    }
    // arm64 is 7 of about 30 entries: a quarter of the mirror, more than 0.1 of it, less than 0.5.
    await host.writeMirror({ name: 'roomy', upstream: 'up', extra: { filters: ['- /arm64/'], rsync: { retries: 0, maxDeleteFraction: 0.5 } } });
    await host.writeMirror({ name: 'guarded', upstream: 'up', extra: { filters: ['- /arm64/'], rsync: { retries: 0, maxDeleteFraction: 0.1 } } });

    const roomy = await runCli(['sync', 'roomy', '--config-dir', host.dir]);
    assert.equal(roomy.code, 0, roomy.stderr);
    assert.deepEqual(await treeDigest(host.target('roomy'), { exclude: ['.mirrorsync'] }), await withoutArm(host.tree('roomy')));
    assert.equal(JSON.parse(await readFile(join(host.target('roomy'), '.mirrorsync', 'status.json'), 'utf8')).result, 'synced');

    const guarded = await runCli(['sync', 'guarded', '--config-dir', host.dir, '--json']);
    assert.equal(guarded.code, 1, guarded.stderr);
    assert.equal((JSON.parse(guarded.stdout) as { error: { code: string } }).error.code, 'sync.maxDelete');
    const left = [...(await treeDigest(host.target('guarded'))).keys()].filter((path) => path.startsWith('arm64/'));
    assert.ok(left.length > 0, 'the guard let every excluded file go');
    // The operator accepts the cut for one run.
    const accepted = await runCli(['sync', 'guarded', '--config-dir', host.dir, '--max-delete-fraction', '0.5']);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.deepEqual(await treeDigest(host.target('guarded'), { exclude: ['.mirrorsync'] }), await withoutArm(host.tree('guarded')));
  });
});

describe('a killed mirrorsync frees no slot early', () => {
  test('SIGKILL of sync NAME mid-transfer: its orphaned rsync keeps the upstream slot, and a second mirror of that upstream waits for it', async (t) => {
    const lab = await useLab(t);
    const mirrors: LabMirror[] = [
      { name: 'big', upstream: 'up', tree: { files: 40, bytesPerFile: 8192 } },
      { name: 'next', upstream: 'up' },
    ];
    const host = await buildHost(lab, { host: { maxConnectionsPerUpstream: 1 }, upstreams: [{ name: 'up', bwlimitKBps: 32 }], mirrors });
    const port = host.daemons.get('up')?.port ?? 0;
    const slot = join(lab.path('state'), 'upstreams', `127.0.0.1_${port}`, 'slot-0.lock');
    // 320 KiB at 32 KiB/s: about 10 s of transfer to kill in the middle of.
    const killed = startCli(['sync', 'big', '--config-dir', host.dir], { timeoutMs: 120_000 });
    await waitFor('the transfer to start', async () => (await bytesUnder(host.target('big'))) >= 48 * 1024, 60_000);
    killed.child.kill('SIGKILL');
    await killed.done;
    const orphans = rsyncProcesses(host.target('big'));
    assert.ok(orphans.size > 0, 'no rsync outlived the killed mirrorsync: nothing to test');
    const held = isFlockHeld(slot);
    const stillAlive = [...rsyncProcesses(host.target('big')).keys()].some((pid) => orphans.has(pid));
    assert.ok(held || !stillAlive, 'the upstream slot was free while the killed run\'s rsync was still transferring');

    const next = await runCli(['sync', 'next', '--config-dir', host.dir, '--json'], { timeoutMs: 120_000 });
    assert.equal(next.code, 0, next.stderr);
    await assertMirrored(host, 'next');
    const list = transfers(await (host.daemons.get('up')?.log() ?? ''));
    assert.equal(list.length, 2);
    assert.equal(peakConcurrency(list), 1, 'the second mirror pulled from the upstream while the orphaned rsync still did');
  });
});
