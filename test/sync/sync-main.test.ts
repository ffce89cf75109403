import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildNetwork, HOUR_MS, makeTree, TRACE_PATH, treeDigest, useLab, writeTrace } from '../lab/index.js';
import { runCli } from '../support/cli.js';

const NOW = Date.now();
const fresh = new Date(NOW - HOUR_MS);

async function readStatus(target: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(target, '.mirrorsync', 'status.json'), 'utf8')) as Record<string, unknown>;
}

/** Files the daemon sent, from its transfer log ("send ... <path> <bytes>"). */
async function sentFiles(log: string): Promise<string[]> {
  return log
    .split('\n')
    .map((line) => / send \S+ \[[^\]]*\] \S+ \([^)]*\) (\S+) \d+/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined);
}

describe('sync on a lab network', () => {
  test('bootstraps from a fresh alternate, sparing the master, and equals the master byte for byte', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'master', master: true, tree: { files: 200, seed: 'v1', trace: { path: TRACE_PATH, at: fresh } } },
        { name: 'alt', tree: { files: 200, seed: 'v1', trace: { path: TRACE_PATH, at: fresh } } },
        { name: 'stale', tree: { files: 150, seed: 'old', trace: { path: TRACE_PATH, at: new Date(NOW - 72 * HOUR_MS) } } },
      ],
    });
    const result = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(status['result'], 'synced');
    assert.equal(status['mode'], 'initial');
    assert.equal(status['source'], 'alt');
    assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), await treeDigest(net.tree('master')));
    const fromMaster = await sentFiles(await net.daemon('master').log());
    assert.deepEqual(fromMaster.filter((path) => path !== TRACE_PATH), [], 'the master sent files during a bootstrap an alternate could serve');
    assert.ok((await sentFiles(await net.daemon('alt').log())).length >= 200);
    const onDisk = await readStatus(net.target);
    assert.equal(onDisk['result'], 'synced');
    assert.equal(onDisk['lastSuccessAt'], onDisk['endedAt']);
    assert.match(await readFile(join(net.target, '.mirrorsync', 'trace'), 'utf8'), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z synced-at=/);
    assert.match(await readFile(join(net.target, '.mirrorsync', 'last-run.log'), 'utf8'), /== bulk pass from alt/);
  });

  test('after a bootstrap from a lagging alternate, a catch-up pass from the master brings the mirror level', async (t) => {
    const lab = await useLab(t);
    // The alternate holds the previous publication; the master has since added ten files.
    const masterDir = lab.path('trees', 'master');
    const altDir = lab.path('trees', 'alt');
    for (const dir of [masterDir, altDir]) await makeTree(dir, { files: 100, seed: 'v1', trace: { path: TRACE_PATH, at: new Date(fresh.getTime() - HOUR_MS) } });
    await makeTree(join(masterDir, 'new'), { files: 10, seed: 'v2' });
    await writeTrace(masterDir, TRACE_PATH, fresh);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { dir: masterDir } }, { name: 'alt', tree: { dir: altDir } }] });
    const result = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as { source: string; tried: Array<{ name: string; error: string | null }> };
    assert.deepEqual(status.tried.map((entry) => [entry.name, entry.error]), [['alt', null], ['master', null]]);
    assert.equal(status.source, 'master');
    // Only the difference came from the master: the ten new files and the trace.
    const fromMaster = (await sentFiles(await net.daemon('master').log())).filter((path) => path !== TRACE_PATH);
    assert.equal(fromMaster.length, 10, fromMaster.join(' '));
    assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), await treeDigest(net.tree('master')));
  });

  test('an incremental sync picks up additions and deletions; then a no-op runs no rsync pass', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      sources: [{ name: 'master', master: true, tree: { files: 100, seed: 'v1', trace: { path: TRACE_PATH, at: fresh } } }],
    });
    assert.equal((await runCli(['sync', '--config', net.configPath])).code, 0);

    // The master publishes: one file added, one removed, one changed, and a new trace.
    const master = net.tree('master');
    const before = await treeDigest(net.target, { exclude: ['.mirrorsync'] });
    const removed = [...before.keys()].find((path) => path.endsWith('.bin'));
    assert.ok(removed);
    await rm(join(master, removed));
    await writeFile(join(master, 'NEW-RELEASE.txt'), 'sage 10.9\n');
    await writeTrace(master, TRACE_PATH, new Date(NOW - 60_000));

    const incremental = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(incremental.code, 0, incremental.stderr);
    assert.equal((JSON.parse(incremental.stdout) as { mode: string }).mode, 'incremental');
    const after = await treeDigest(net.target, { exclude: ['.mirrorsync'] });
    assert.deepEqual(after, await treeDigest(master));
    assert.equal(after.has(removed), false);
    assert.equal(await readFile(join(net.target, 'NEW-RELEASE.txt'), 'utf8'), 'sage 10.9\n');

    const logBefore = await readFile(join(net.target, '.mirrorsync', 'last-run.log'), 'utf8');
    const sentBefore = (await sentFiles(await net.daemon('master').log())).length;
    const noop = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(noop.code, 0, noop.stderr);
    assert.equal((JSON.parse(noop.stdout) as { result: string }).result, 'noop');
    const sentDuringNoop = (await sentFiles(await net.daemon('master').log())).slice(sentBefore);
    assert.deepEqual(sentDuringNoop, [TRACE_PATH], 'a no-op reads the trace and nothing else');
    assert.equal(await readFile(join(net.target, '.mirrorsync', 'last-run.log'), 'utf8'), logBefore, 'no rsync pass ran');
    assert.equal((await readStatus(net.target))['result'], 'noop');
  });

  test('--full runs a verifying pass that repairs a silently corrupted file', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { files: 20, seed: 'v1', trace: { path: TRACE_PATH, at: fresh } } }] });
    assert.equal((await runCli(['sync', '--config', net.configPath])).code, 0);
    const digest = await treeDigest(net.tree('master'));
    const victim = [...digest.keys()].find((path) => path.endsWith('.bin')) ?? '';
    const original = await readFile(join(net.target, victim));
    const corrupted = Buffer.from(original);
    corrupted[0] = (corrupted[0] ?? 0) ^ 0xff;
    const { utimes, stat } = await import('node:fs/promises');
    const times = await stat(join(net.target, victim));
    await writeFile(join(net.target, victim), corrupted);
    await utimes(join(net.target, victim), times.atime, times.mtime);
    assert.equal((JSON.parse((await runCli(['sync', '--config', net.configPath, '--json'])).stdout) as { result: string }).result, 'noop');
    const full = await runCli(['sync', '--config', net.configPath, '--full', '--json']);
    assert.equal(full.code, 0, full.stderr);
    assert.equal((JSON.parse(full.stdout) as { result: string }).result, 'synced');
    assert.deepEqual(await readFile(join(net.target, victim)), original);
  });

  test('--dry-run prints the plan and the exact rsync command and touches nothing', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { files: 5, trace: { path: TRACE_PATH, at: fresh } } }] });
    const result = await runCli(['sync', '--config', net.configPath, '--dry-run']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /would sync from master/);
    assert.match(result.stdout, /rsync .*--delete-after.*--max-delete=0.* -- rsync:\/\/127\.0\.0\.1:(\d+)\/([\w-]+)\/ /);
    assert.ok(result.stdout.includes(` -- ${net.daemon('master').url} `), result.stdout);
    const { access } = await import('node:fs/promises');
    await assert.rejects(access(net.target), 'the target was created by a dry run');
  });

  test('--source pins one source; an unknown one is a usage error that touches nothing', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'master', master: true, tree: { files: 10, seed: 'a', trace: { path: TRACE_PATH, at: fresh } } },
        { name: 'alt', tree: { files: 10, seed: 'a', trace: { path: TRACE_PATH, at: fresh } } },
      ],
    });
    const unknown = await runCli(['sync', '--config', net.configPath, '--source', 'nope']);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /unknown source 'nope'.*master, alt/);
    const pinned = await runCli(['sync', '--config', net.configPath, '--source', 'master', '--json']);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.equal((JSON.parse(pinned.stdout) as { source: string }).source, 'master');
  });

  test('a tree made elsewhere (no trace configured) is judged by its listing', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { trace: null, sources: [{ name: 'master', master: true, tree: { files: 10, mtime: fresh } }] });
    const first = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), await treeDigest(net.tree('master')));
    const second = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal((JSON.parse(second.stdout) as { result: string }).result, 'noop', second.stderr);
  });
});
