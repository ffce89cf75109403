import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { buildNetwork, makeTree, type Network, TRACE_PATH, treeDigest, useLab, writeTrace } from '../lab/index.js';
import { runCli, startCli } from '../support/cli.js';
import { bytesUnder, copyTree, digestDiff, mirrorDigest, publish, readStatus, sentFiles, v1Tree, V2, waitFor, type Status } from './support.js';

/**
 * Two daemons serving the same tree (so either can finish what the other started), a mirror
 * that equals it, then a master publication of `addedFiles` x 4 KiB to transfer.
 */
async function twoSourcesOverOneTree(t: TestContext, options: { addedFiles: number; bwlimitKBps: number; rsync?: Record<string, unknown> }) {
  const lab = await useLab(t);
  const tree = lab.path('trees', 'shared');
  await makeTree(tree, v1Tree(100));
  await copyTree(tree, lab.path('mirror'));
  const added = await publish(tree, { folder: 'v2', files: options.addedFiles, bytesPerFile: 4096, at: V2 });
  const net = await buildNetwork(lab, {
    sources: [
      { name: 'master', master: true, priority: 0, tree: { dir: tree }, bwlimitKBps: options.bwlimitKBps },
      { name: 'alt', priority: 1, tree: { dir: tree } },
    ],
    ...(options.rsync === undefined ? {} : { rsync: options.rsync }),
  });
  const before = await mirrorDigest(net.target);
  const bytesBefore = await bytesUnder(net.target);
  return { lab, net, tree, added, before, bytesBefore };
}

/**
 * Freezes the master's daemon and waits for the sync to connect to alt; returns how long that
 * took, a figure for the diagnostics (bench/stall.ts measures it). The master is thawed whatever
 * happens. waitMs only guards against a hang.
 */
async function freezeUntilAltConnects(net: Network, waitMs = 120_000): Promise<number> {
  const alt = net.daemon('alt');
  const logBefore = (await alt.log()).length;
  const master = net.daemon('master');
  master.freeze();
  const frozenAt = performance.now();
  try {
    await waitFor('the sync to connect to alt', async () => (await alt.log()).slice(logBefore).includes('connect from'), waitMs);
    return performance.now() - frozenAt;
  } finally {
    master.thaw();
  }
}

/** Every file the mirror held before is still there, same content (the trace may have moved on). */
function assertNothingLost(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, allowChanged: readonly string[] = []): void {
  const diff = digestDiff(before, after);
  assert.deepEqual(diff.lost, [], 'files of the mirror were lost');
  assert.deepEqual(diff.changed.filter((path) => !allowChanged.includes(path)), [], 'files of the mirror were corrupted');
}

// Heavy (two daemons and a CLI run in every case): one case at a time.
describe('faults during a transfer', () => {
  test('a daemon killed mid-transfer: failover to the next source, which resumes instead of restarting', async (t) => {
    const { net, tree, added, before, bytesBefore } = await twoSourcesOverOneTree(t, { addedFiles: 300, bwlimitKBps: 300 });
    const cli = startCli(['sync', '--config', net.configPath, '--json']);
    await waitFor('the first 300 KB to arrive', async () => (await bytesUnder(net.target)) - bytesBefore >= 300 * 1024);
    const receivedBeforeKill = (await bytesUnder(net.target)) - bytesBefore;
    await net.daemon('master').kill('SIGKILL');
    const result = await cli.done;

    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as Status;
    assert.equal(status.result, 'synced');
    assert.equal(status.source, 'alt');
    assert.deepEqual(status.tried.map((entry) => entry.name), ['master', 'alt']);
    assert.ok(status.tried[0]?.error, 'the killed source has no error in tried');
    assert.equal(status.tried[1]?.error, null);
    const after = await mirrorDigest(net.target);
    assert.deepEqual(after, await treeDigest(tree));
    assertNothingLost(before, after, [TRACE_PATH]);

    const fromAlt = status.tried[1]?.bytesReceived ?? 0;
    const total = receivedBeforeKill + status.bytesReceived;
    t.diagnostic(`published ${added} B; master delivered ${receivedBeforeKill} B before the kill (its tried entry says ${status.tried[0]?.bytesReceived ?? '?'}); alt sent ${fromAlt} B; total ${total} B = ${(total / added).toFixed(2)}x`);
    assert.ok(total <= 1.3 * added, `the transfer restarted: ${total} B received for ${added} B published`);
    // What the master delivered was kept: alt sent about the rest, not the whole publication again.
    assert.ok(fromAlt <= (added - receivedBeforeKill) * 1.3 + 64 * 1024, `alt re-sent what was already there: ${fromAlt} B`);
  });

  test('a daemon that stalls mid-transfer is left within rsync.timeoutSeconds, and the next source completes', async (t) => {
    const timeoutSeconds = 3;
    // retries 0: one attempt per source, so the bound is one timeout, not one per attempt.
    const { net, tree, before, bytesBefore } = await twoSourcesOverOneTree(t, { addedFiles: 300, bwlimitKBps: 300, rsync: { timeoutSeconds, retries: 0 } });
    const cli = startCli(['sync', '--config', net.configPath, '--json']);
    await waitFor('the first 200 KB to arrive', async () => (await bytesUnder(net.target)) - bytesBefore >= 200 * 1024);
    const leftAfterMs = await freezeUntilAltConnects(net);
    const result = await cli.done;
    t.diagnostic(`left the frozen master ${Math.round(leftAfterMs)} ms after the freeze (timeout ${timeoutSeconds} s)`);
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as Status;
    assert.deepEqual(status.tried.map((entry) => entry.name), ['master', 'alt']);
    // Whichever notices first: mirrorsync's stall watch, or rsync's own --timeout when it does fire.
    assert.match(status.tried[0]?.error ?? '', /stopped sending: nothing arrived for 3 s|rsync exit 30/);
    assert.equal(status.source, 'alt');
    const after = await mirrorDigest(net.target);
    assert.deepEqual(after, await treeDigest(tree));
    assertNothingLost(before, after, [TRACE_PATH]);
  });

  test('a daemon that stalls mid-transfer is stopped by the pass time limit (maxDurationSeconds), and the next source completes', async (t) => {
    const maxDurationSeconds = 4;
    const { net, tree, before, bytesBefore } = await twoSourcesOverOneTree(t, { addedFiles: 300, bwlimitKBps: 300, rsync: { timeoutSeconds: 60, retries: 0, maxDurationSeconds } });
    const cli = startCli(['sync', '--config', net.configPath, '--json']);
    await waitFor('the first 200 KB to arrive', async () => (await bytesUnder(net.target)) - bytesBefore >= 200 * 1024);
    const leftAfterMs = await freezeUntilAltConnects(net);
    const result = await cli.done;
    // rsync's own timeout (60 s) is far off: the error below says the pass limit ended the pass.
    t.diagnostic(`left the frozen master ${Math.round(leftAfterMs)} ms after the freeze (pass limit ${maxDurationSeconds} s)`);
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as Status;
    assert.deepEqual(status.tried.map((entry) => entry.name), ['master', 'alt']);
    assert.match(status.tried[0]?.error ?? '', /time limit/);
    assert.equal(status.source, 'alt');
    const after = await mirrorDigest(net.target);
    assert.deepEqual(after, await treeDigest(tree));
    assertNothingLost(before, after, [TRACE_PATH]);
  });

  test('--max-delete: a master that deletes half its files stops at the cap, keeps the old trace; the next run deletes nothing more until the cap is raised', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: v1Tree(200, { bytesPerFile: 256 }) }] });
    const first = await runCli(['sync', '--config', net.configPath]);
    assert.equal(first.code, 0, first.stderr);
    const master = net.tree('master');
    const before = await mirrorDigest(net.target);
    const files = [...before.entries()].filter(([path, kind]) => kind !== 'dir' && path !== TRACE_PATH).map(([path]) => path);
    for (const path of files.filter((_, index) => index % 2 === 0)) await rm(join(master, path));
    await writeTrace(master, TRACE_PATH, V2);
    const mirrorTrace = await readFile(join(net.target, '.mirrorsync', 'trace'), 'utf8');
    const cap = Math.floor(before.size * 0.2);

    const result = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(result.code, 1, result.stderr);
    const status = JSON.parse(result.stdout) as Status;
    assert.equal(status.result, 'failed');
    assert.equal(status.error?.code, 'sync.maxDelete');
    assert.equal(status.tried.length, 1, 'no failover after a --max-delete stop');
    const after = await mirrorDigest(net.target);
    const diff = digestDiff(before, after);
    t.diagnostic(`${before.size} entries, master deleted ${Math.ceil(files.length / 2)}, mirror lost ${diff.lost.length} (cap ${cap})`);
    assert.ok(diff.lost.length > 0, 'nothing was deleted: the cap was not exercised');
    assert.ok(diff.lost.length <= cap, `${diff.lost.length} entries deleted, more than the cap of ${cap}`);
    assert.deepEqual(diff.changed, [], 'the tree trace (or a file) was updated after a --max-delete stop');
    assert.equal(await readFile(join(net.target, '.mirrorsync', 'trace'), 'utf8'), mirrorTrace, 'the mirror trace moved on');

    const next = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.notEqual((JSON.parse(next.stdout) as Status).result, 'noop', 'the next run took the interrupted publication for done');
    assert.equal(next.code, 1, next.stderr);
    assert.match(next.stderr, /already stopped at the --max-delete limit/);
    assert.deepEqual(await mirrorDigest(net.target), after, 'a second run took another bite out of the mirror');

    // The operator checked upstream and accepts its deletions for one run.
    await net.reconfigure({ rsync: { maxDeleteFraction: 1 } });
    const accepted = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
    assert.equal((JSON.parse(accepted.stdout) as Status & { maxDeleteStop?: unknown }).maxDeleteStop, undefined);
  });

  test('disk full during a transfer: exit 74 with no failover, and the files already there intact', async (t) => {
    const lab = await useLab(t);
    const tree = lab.path('trees', 'shared');
    const target = lab.path('mirror');
    await makeTree(tree, v1Tree(100));
    await copyTree(tree, target);
    const before = await mirrorDigest(target);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', target], { encoding: 'utf8' });
    if (mounted.error !== undefined || mounted.status !== 0) {
      t.skip(`cannot mount a tmpfs: ${mounted.error?.message ?? mounted.stderr.trim()}`);
      return;
    }
    try {
      await copyTree(tree, target); // the mount hides the copy made before it
      assert.deepEqual(await mirrorDigest(target), before);
      await publish(tree, { folder: 'v2', files: 300, bytesPerFile: 8192, at: V2 }); // 2.4 MB into a 2 MB disk
      const net = await buildNetwork(lab, {
        sources: [
          { name: 'master', master: true, priority: 0, tree: { dir: tree } },
          { name: 'alt', priority: 1, tree: { dir: tree } },
        ],
      });
      const result = await runCli(['sync', '--config', net.configPath, '--json']);
      assert.equal(result.code, 74, result.stderr);
      assert.match(result.stderr, /No space left on device|ENOSPC/);
      // alt's probe read its trace; a failover would have sent the publication too.
      assert.deepEqual(sentFiles(await net.daemon('alt').log()).filter((path) => path !== TRACE_PATH), [], 'failed over to alt after a local failure');
      assertNothingLost(before, await mirrorDigest(target));
      await t.test('the report names the local failure and the one source tried, on stdout and in status.json', async () => {
        const status = JSON.parse(result.stdout) as Status;
        assert.equal(status.result, 'failed');
        assert.equal(status.error?.code, 'sync.local');
        assert.match(status.error?.message ?? '', /No space left on device/);
        assert.deepEqual(status.tried.map((entry) => entry.name), ['master']);
        const onDisk = await readStatus(target);
        assert.equal(onDisk.result, 'failed');
        assert.equal(onDisk.error?.code, 'sync.local');
      });
    } finally {
      const unmounted = spawnSync('umount', ['--lazy', target], { encoding: 'utf8' });
      if (unmounted.status !== 0) t.diagnostic(`umount ${target}: ${unmounted.stderr.trim()}`);
    }
  });
});

