import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { lockFileOf, lockIsFree, rsyncProcesses } from '../faults/support.js';
import { buildNetwork, HOUR_MS, TRACE_PATH, useLab } from '../lab/index.js';
import { isProcessAlive } from '../lab/index.js';
import { runCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

// Issue 12: the master's trace read starts as soon as the config is known, before the target is
// checked and the lock taken. Whatever ends the run early, that read must end with it: a master
// that accepts and never answers, with a probe deadline of ten minutes, would otherwise hold the
// run (and leave an rsync behind). The CLI's own 60 s kill is the hang guard.

const LONG_PROBE = { timeoutMs: 600_000 };
const GUARD = { timeoutMs: 60_000 };

describe('the early read of the master ends with the run', () => {
  test('a held lock: exit 75 without waiting for a silent master, no rsync left', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, kind: 'stall' }], probe: LONG_PROBE });
    await mkdir(join(net.target, '.mirrorsync'), { recursive: true });
    const lock = lockFileOf(net.target);
    const holder = spawn('flock', ['-x', lock, 'sleep', '300'], { detached: true, stdio: 'ignore' });
    try {
      await waitFor('flock to take the lock', () => !lockIsFree(lock));
      const result = await runCli(['sync', '--config', net.configPath], GUARD);
      assert.equal(result.code, 75, `exit ${result.code}: ${result.stderr}`);
      assert.match(result.stderr, /lock/i);
      assert.deepEqual([...rsyncProcesses(net.stalls.get('master')?.url ?? '?').keys()], [], 'an rsync of the early read outlived the run');
    } finally {
      if (holder.pid !== undefined && isProcessAlive(holder.pid)) process.kill(-holder.pid, 'SIGKILL');
    }
  });

  test('a refused target: exit 78 without waiting for a silent master, nothing created, no rsync left', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, kind: 'stall' }], probe: LONG_PROBE });
    const result = await runCli(['sync', '--config', net.configPath, '--target', '/etc/mirrorsync-test-target'], GUARD);
    assert.equal(result.code, 78, `exit ${result.code}: ${result.stderr}`);
    assert.match(result.stderr, /target/i);
    assert.deepEqual([...rsyncProcesses(net.stalls.get('master')?.url ?? '?').keys()], [], 'an rsync of the early read outlived the run');
  });

  test('a no-op asks the master alone: dead sources see no connection, the run waits for none of them', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'master', master: true, tree: { files: 10, trace: { path: TRACE_PATH, at: new Date(Date.now() - HOUR_MS) } } },
        { name: 'silent', kind: 'stall' },
        { name: 'gone', kind: 'closed' },
      ],
      probe: { timeoutMs: 2_000 },
    });
    assert.equal((await runCli(['sync', '--config', net.configPath])).code, 0);
    const silent = net.stalls.get('silent');
    const before = silent?.connections() ?? -1;
    await net.reconfigure({ probe: LONG_PROBE });
    const run = await runCli(['sync', '--config', net.configPath, '--json'], GUARD);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { result: string }).result, 'noop');
    assert.equal(silent?.connections(), before, 'the no-op connected to a dead source');
  });
});
