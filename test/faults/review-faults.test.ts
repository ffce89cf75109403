import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildNetwork, HOUR_MS, makeTree, startTraceHttpServer, TRACE_PATH, treeDigest, useLab, writeTrace } from '../lab/index.js';
import { runCli, startCli } from '../support/cli.js';
import { bytesUnder, mirrorDigest, readStatus, rsyncProcesses, waitFor, type Status } from './support.js';

const T1 = new Date(Date.now() - 3 * HOUR_MS);
const T2 = new Date(Date.now() - 2 * HOUR_MS);
const T3 = new Date(Date.now() - HOUR_MS);

// Heavy (daemons and CLI runs in every case): one case at a time.
describe('races and lies that must not leave a wrong mirror', () => {
  test('a publication that lands during the bulk pass is not announced by the trace: the next run picks it up', async (t) => {
    const lab = await useLab(t);
    const master = lab.path('trees', 'master');
    await makeTree(master, { files: 80, bytesPerFile: 8192, seed: 'v1', trace: { path: TRACE_PATH, at: T1 } });
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, bwlimitKBps: 200, tree: { dir: master } }] });
    const running = startCli(['sync', '--config', net.configPath, '--json']);
    // Mid-transfer, the master publishes: new files, then (as masters do) the trace last.
    await waitFor('the bulk pass to start', async () => (await mirrorDigest(net.target).catch(() => new Map())).size > 3);
    await makeTree(join(master, 'release-2'), { files: 5, bytesPerFile: 1024, seed: 'v2' });
    await writeTrace(master, TRACE_PATH, T2);
    const first = await running.done;
    assert.equal(first.code, 0, first.stderr);
    const local = await readFile(join(net.target, TRACE_PATH), 'utf8');
    const hasRelease2 = (await mirrorDigest(net.target)).has('release-2');
    // Either the pass saw the new files and the trace it installed is the old one (safe), or it
    // saw nothing new; never the new trace without the new files.
    if (local.includes(T2.toISOString().slice(0, 16).replace('T', ' '))) assert.ok(hasRelease2, 'the new trace was installed over a tree without the new release');
    const second = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal((JSON.parse(second.stdout) as Status).result, 'synced', 'the next run took the half-synced publication for done');
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
  });

  test('a source ranked on its HTTP trace but whose rsync module is older than the mirror is refused before any deletion', async (t) => {
    const lab = await useLab(t);
    const current = lab.path('trees', 'master');
    await makeTree(current, { files: 30, seed: 'v2', trace: { path: TRACE_PATH, at: T2 } });
    // The liar: its web server shows a newer publication, its rsync module holds an old one.
    const rsyncSide = lab.path('trees', 'liar');
    await makeTree(rsyncSide, { files: 10, seed: 'v0', trace: { path: TRACE_PATH, at: T1 } });
    const webSide = lab.path('trees', 'liar-web');
    await makeTree(webSide, { files: 0, trace: { path: TRACE_PATH, at: T3 } });
    const web = await startTraceHttpServer(lab, { root: webSide });
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { dir: current } }, { name: 'liar', priority: -5, tree: { dir: rsyncSide } }] });
    assert.equal((await runCli(['sync', '--config', net.configPath, '--source', 'master'])).code, 0);
    const before = await mirrorDigest(net.target);
    const config = JSON.parse(await readFile(net.configPath, 'utf8')) as { sources: Array<Record<string, unknown>> };
    const liar = config.sources.find((source) => source['name'] === 'liar');
    if (liar) liar['http'] = web.url;
    await writeFile(net.configPath, JSON.stringify(config));
    // With the master reachable, a web trace newer than the master's is refused at ranking time;
    // with it down, only the trace fetched for the pass can tell.
    await net.daemon('master').stop();

    const result = await runCli(['sync', '--config', net.configPath, '--source', 'liar', '--json']);
    assert.equal(result.code, 69, result.stderr);
    const status = JSON.parse(result.stdout) as Status;
    assert.match(status.tried[0]?.error ?? '', /refused before any deletion: .*older than the local copy/);
    assert.deepEqual(await mirrorDigest(net.target), before, 'the mirror was rolled back');
    assert.equal((await readStatus(net.target)).error?.code, 'sources.noneUsable');
  });

  test('without a trace, an interrupted pass does not make a half-synced mirror look up to date', async (t) => {
    const lab = await useLab(t);
    const master = lab.path('trees', 'master');
    await makeTree(master, { files: 40, bytesPerFile: 4096, seed: 'v1', mtime: T1 });
    const net = await buildNetwork(lab, { trace: null, sources: [{ name: 'master', master: true, bwlimitKBps: 100, tree: { dir: master } }] });
    assert.equal((await runCli(['sync', '--config', net.configPath])).code, 0);
    // Upstream publishes; the next sync is interrupted mid-way, staging files in the tree.
    await makeTree(join(master, 'release-2'), { files: 40, bytesPerFile: 8192, seed: 'v2', mtime: T2 });
    const interrupted = startCli(['sync', '--config', net.configPath]);
    // Bytes of the new release on disk (in rsync's staging folders too) prove the pass is under way,
    // so the run is past loading and its signal handlers are in place.
    await waitFor('the new release to start arriving', async () => (await bytesUnder(join(net.target, 'release-2'), [])) > 0, 60_000);
    assert.ok(rsyncProcesses(net.target).size > 0, 'no rsync is writing the new release');
    interrupted.child.kill('SIGTERM');
    assert.equal((await interrupted.done).code, 143);
    const next = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(next.code, 0, next.stderr);
    assert.equal((JSON.parse(next.stdout) as Status).result, 'synced', 'the interrupted mirror was taken for up to date');
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
  });

  test('an interrupted bootstrap, resumed, is still a bootstrap: the alternate serves it, not the master', async (t) => {
    const lab = await useLab(t);
    const master = lab.path('trees', 'master');
    await makeTree(master, { files: 60, bytesPerFile: 8192, seed: 'v1', trace: { path: TRACE_PATH, at: T2 } });
    const alt = lab.path('trees', 'alt');
    await cp(master, alt, { recursive: true, preserveTimestamps: true });
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { dir: master } }, { name: 'alt', bwlimitKBps: 150, tree: { dir: alt } }] });
    const first = startCli(['sync', '--config', net.configPath]);
    await waitFor('files to arrive', async () => (await mirrorDigest(net.target).catch(() => new Map())).size > 3);
    first.child.kill('SIGTERM');
    assert.equal((await first.done).code, 143);
    const resumed = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const status = JSON.parse(resumed.stdout) as Status;
    assert.equal(status.mode, 'initial');
    assert.equal(status.source, 'alt');
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
  });

  test('a bootstrap whose first source stalls fails over and completes: the deletion cap follows what the failed attempt left', async (t) => {
    const lab = await useLab(t);
    const master = lab.path('trees', 'master');
    await makeTree(master, { files: 60, bytesPerFile: 16384, seed: 'v1', trace: { path: TRACE_PATH, at: T2 } });
    const alt = lab.path('trees', 'alt');
    await cp(master, alt, { recursive: true, preserveTimestamps: true });
    const net = await buildNetwork(lab, {
      rsync: { timeoutSeconds: 2, retries: 0 },
      sources: [{ name: 'master', master: true, tree: { dir: master } }, { name: 'alt', bwlimitKBps: 150, tree: { dir: alt } }],
    });
    const running = startCli(['sync', '--config', net.configPath, '--json']);
    await waitFor('files to arrive', async () => (await mirrorDigest(net.target).catch(() => new Map())).size > 3);
    net.daemon('alt').freeze();
    const result = await running.done;
    net.daemon('alt').thaw();
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as Status;
    assert.deepEqual(status.tried.map((entry) => [entry.name, entry.error === null]), [['alt', false], ['master', true]]);
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
  });
});
