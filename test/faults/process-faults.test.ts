import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test, type TestContext } from 'node:test';
import { buildNetwork, isProcessAlive, makeTree, treeDigest, useLab } from '../lab/index.js';
import { runCli, startCli, type CliResult } from '../support/cli.js';
import { bytesUnder, copyTree, lockFileOf, lockIsFree, mirrorDigest, publish, readStatus, rsyncProcesses, v1Tree, V2, waitFor, type Status } from './support.js';

/** A mirror that equals a one-source master, which then publishes `files` x 4 KiB served at `bwlimitKBps`. */
async function throttledPublication(t: TestContext, files: number, bwlimitKBps: number, rsync: Record<string, unknown> = {}) {
  const lab = await useLab(t);
  const tree = lab.path('trees', 'master');
  await makeTree(tree, v1Tree(60));
  await copyTree(tree, lab.path('mirror'));
  await publish(tree, { folder: 'v2', files, bytesPerFile: 4096, at: V2 });
  const net = await buildNetwork(lab, { rsync, sources: [{ name: 'master', master: true, tree: { dir: tree }, bwlimitKBps }] });
  return { lab, net, tree, before: await mirrorDigest(net.target), bytesBefore: await bytesUnder(net.target) };
}

/** The rsync processes writing into target are gone (polled: the kernel reaps asynchronously, later on a busy machine). */
async function assertNoRsyncLeft(target: string): Promise<void> {
  try {
    await waitFor('the rsync processes to end', () => rsyncProcesses(target).size === 0, 15_000);
  } catch {
    assert.fail(`rsync processes left running: ${[...rsyncProcesses(target)].map(([pid, argv]) => `${pid} ${argv.join(' ')}`).join('\n')}`);
  }
}

// Heavy (a daemon and CLI runs in every case): one case at a time.
describe('faults of the mirrorsync process', () => {
  test('SIGKILL mid-run: the orphaned rsync keeps the lock while it lives; a rerun then completes without clean-up', async (t) => {
    const { net, tree, bytesBefore } = await throttledPublication(t, 250, 150);
    const lock = lockFileOf(net.target);
    const cli = startCli(['sync', '--config', net.configPath]);
    await waitFor('the transfer to be under way', async () => rsyncProcesses(net.target).size > 0 && (await bytesUnder(net.target)) - bytesBefore >= 100 * 1024, 60_000);
    cli.child.kill('SIGKILL');
    await cli.done;

    const orphans = rsyncProcesses(net.target);
    assert.ok(orphans.size > 0, 'no rsync outlived the killed mirrorsync: nothing to test');
    // Held still (alive, holding the lock's descriptor) until a rerun has met them: on a busy
    // machine the throttled transfer could otherwise end before the first rerun starts.
    const signalOrphans = (signal: NodeJS.Signals): void => {
      for (const pid of orphans.keys()) {
        try {
          process.kill(pid, signal);
        } catch {
          // Already gone.
        }
      }
    };
    signalOrphans('SIGSTOP');
    const killedAt = performance.now();
    // While any rsync of the killed run lives, the lock must be held: there is never a second writer.
    let orphanLivedMs = 0;
    let violation: string | undefined;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const alive = [...rsyncProcesses(net.target).keys()].filter((pid) => orphans.has(pid));
        if (alive.length === 0) break;
        const free = lockIsFree(lock);
        const stillAlive = [...rsyncProcesses(net.target).keys()].filter((pid) => orphans.has(pid));
        if (stillAlive.length > 0) {
          orphanLivedMs = performance.now() - killedAt;
          if (free) violation ??= `the lock was free while rsync ${stillAlive.join(', ')} of the killed run was writing`;
        }
        await sleep(25);
      }
    })();

    let rerun: CliResult | undefined;
    let lockedOut = 0;
    try {
      // A hang guard: the orphans, once resumed, finish a 1 MB throttled transfer long before this.
      for (const started = Date.now(); Date.now() - started < 120_000; ) {
        rerun = await runCli(['sync', '--config', net.configPath, '--json']);
        if (rerun.code !== 75) break;
        lockedOut += 1;
        assert.match(rerun.stderr, /another sync holds the lock .*\(PID \d+\)/);
        signalOrphans('SIGCONT');
        await sleep(100);
      }
    } finally {
      signalOrphans('SIGCONT');
      sampling = false;
      await sampler;
    }
    t.diagnostic(`${orphans.size} rsync processes orphaned; seen alive ${Math.round(orphanLivedMs)} ms after the kill; reruns locked out: ${lockedOut}`);
    assert.equal(violation, undefined, violation);
    assert.ok(lockedOut >= 1, 'no rerun met the lock the orphaned rsync holds');
    assert.ok(rerun !== undefined);
    assert.equal(rerun.code, 0, rerun.stderr);
    const status = JSON.parse(rerun.stdout) as Status;
    assert.equal(status.result, 'synced');
    assert.ok(status.previousRunDied !== undefined, 'status does not record that the previous run died');
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(tree));
    await assertNoRsyncLeft(net.target);
    assert.ok(lockIsFree(lock));
  });

  for (const [signal, code, errorCode] of [['SIGTERM', 143, 'interrupted.sigterm'], ['SIGINT', 130, 'interrupted.sigint']] as const) {
    test(`${signal} mid-run: exit ${code}, status interrupted, no rsync left, the lock free, the mirror intact`, async (t) => {
      // 1 MB at 100 KiB/s: the signal lands mid-transfer however slowly the tree below is polled.
      const { net, before, bytesBefore } = await throttledPublication(t, 250, 100);
      const cli = startCli(['sync', '--config', net.configPath, '--json']);
      await waitFor('the transfer to be under way', async () => rsyncProcesses(net.target).size > 0 && (await bytesUnder(net.target)) - bytesBefore >= 100 * 1024, 60_000);
      const signaledAt = performance.now();
      cli.child.kill(signal);
      const result = await cli.done;
      t.diagnostic(`exited ${Math.round(performance.now() - signaledAt)} ms after ${signal}`);
      assert.equal(result.code, code, result.stderr);
      const status = JSON.parse(result.stdout) as Status;
      assert.equal(status.result, 'interrupted');
      assert.equal(status.error?.code, errorCode);
      assert.equal((await readStatus(net.target)).result, 'interrupted');
      await assertNoRsyncLeft(net.target);
      assert.ok(lockIsFree(lockFileOf(net.target)), 'the lock is still held');
      const after = await mirrorDigest(net.target);
      for (const [path, hash] of before) {
        if (path !== 'zzz/timestamp.html') assert.equal(after.get(path), hash, `${path} lost or changed`);
      }
      assert.equal(after.get('zzz/timestamp.html'), before.get('zzz/timestamp.html'), 'an interrupted run brought the new trace');
    });
  }

  test('a lock held by flock(1) from a cron line: exit 75 at once, naming its PID, the mirror and status untouched', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: v1Tree(30) }] });
    assert.equal((await runCli(['sync', '--config', net.configPath])).code, 0);
    await publish(net.tree('master'), { folder: 'v2', files: 5, bytesPerFile: 1024, at: V2 });
    const lock = lockFileOf(net.target);
    const before = await mirrorDigest(net.target);
    const statusBefore = await readStatus(net.target);
    // -x, not -xn: the rsync children of the sync above hold the lock too (by design) and may
    // still be exiting on a loaded machine; the holder waits for them instead of giving up.
    const holder = spawn('flock', ['-x', lock, 'sleep', '300'], { detached: true, stdio: 'ignore' });
    try {
      await waitFor('flock to take the lock', () => !lockIsFree(lock));
      const result = await runCli(['sync', '--config', net.configPath]);
      t.diagnostic(`exit ${result.code} after ${Math.round(result.durationMs)} ms: ${result.stderr.trim()}`);
      assert.equal(result.code, 75, result.stderr);
      // "At once": it did not wait for the lock, which its holder keeps for 300 s.
      assert.ok(holder.pid !== undefined && isProcessAlive(holder.pid), 'the run waited until the holder let go of the lock');
      assert.match(result.stderr, new RegExp(`PID ${holder.pid}\\b`));
      assert.deepEqual(await mirrorDigest(net.target), before);
      assert.deepEqual(await readStatus(net.target), statusBefore, 'a run that did not get the lock wrote status.json');
    } finally {
      // Already gone is fine: a failed assertion above must not be hidden by ESRCH.
      if (holder.pid !== undefined && isProcessAlive(holder.pid)) process.kill(-holder.pid, 'SIGKILL');
    }
  });

});

// Alone: twenty CLI starts load both cores.
describe('lock contention', () => {
  test('20 concurrent syncs on a throttled transfer: exactly one syncs, every other exits 75', async (t) => {
    // rsync's own timeout stays out of the way while the daemon is frozen below.
    const { net, tree, bytesBefore } = await throttledPublication(t, 250, 200, { timeoutSeconds: 600 });
    await mkdir(join(net.target, '.mirrorsync'), { recursive: true });
    const runs = Array.from({ length: 20 }, () => startCli(['sync', '--config', net.configPath, '--json'], { timeoutMs: 180_000 }));
    let ended = 0;
    for (const run of runs) void run.done.then(() => (ended += 1), () => (ended += 1));
    // The winner's transfer is held still until the other nineteen have met its lock: however slow
    // the machine starts twenty processes, none of them can arrive after the winner is done.
    await waitFor('the winner to be transferring', async () => (await bytesUnder(net.target)) - bytesBefore > 0, 60_000);
    net.daemon('master').freeze();
    try {
      await waitFor('nineteen runs to end', () => ended >= 19, 120_000);
    } finally {
      net.daemon('master').thaw();
    }
    const results = await Promise.all(runs.map((run) => run.done));
    const codes = results.map((run) => run.code);
    t.diagnostic(`exit codes: ${codes.join(' ')}`);
    const winners = results.filter((run) => run.code === 0);
    assert.equal(winners.length, 1, `exit codes: ${codes.join(' ')}`);
    assert.equal((JSON.parse(winners[0]?.stdout ?? '{}') as Status).result, 'synced');
    assert.deepEqual(codes.filter((code) => code !== 0), Array.from({ length: 19 }, () => 75));
    for (const loser of results.filter((run) => run.code === 75)) assert.match(loser.stderr, /another sync holds the lock .*\(PID \d+\)/);
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(tree));
  });
});
