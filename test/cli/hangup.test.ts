import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { mirrorDigest, rsyncProcesses, waitFor } from '../faults/support.js';
import { buildNetwork, HOUR_MS, isProcessAlive, TRACE_PATH, treeDigest, useLab } from '../lab/index.js';
import { cliPath } from '../support/paths.js';

interface Status {
  readonly result: string;
  readonly pid?: number;
}

async function statusOf(target: string): Promise<Status | undefined> {
  return readFile(join(target, '.mirrorsync', 'status.json'), 'utf8')
    .then((text) => JSON.parse(text) as Status)
    .catch(() => undefined);
}

describe('a terminal hangup never ends a run', () => {
  test('an ssh session dropped mid-bootstrap (the pseudo-terminal hung up): the run completes, synced, no orphan rsync', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      sources: [{ name: 'master', master: true, bwlimitKBps: 60, tree: { files: 40, bytesPerFile: 4096, trace: { path: TRACE_PATH, at: new Date(Date.now() - HOUR_MS) } } }],
      // The sender is frozen across the hangup: rsync's idle timeout must not end the pass meanwhile.
      rsync: { timeoutSeconds: 300 },
    });
    // script(1) gives the CLI a pseudo-terminal as its stdout, stderr and controlling terminal, as
    // an ssh session does; killing script closes the terminal's master side: a hangup.
    const command = [process.execPath, cliPath, 'sync', '--config', net.configPath, '--log-level', 'debug'].map((arg) => `'${arg}'`).join(' ');
    const session = spawn('script', ['-qefc', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, MIRRORSYNC_CONFIG: '' } });
    let screen = '';
    session.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
    let pid: number | undefined;
    try {
      // The bulk pass is running and drawing on the terminal: the progress line is there.
      await waitFor('the bulk pass to draw its progress line', async () => {
        pid = (await statusOf(net.target))?.pid;
        return pid !== undefined && /\r\x1b\[Kmaster: +\d+%/.test(screen);
      }, 60_000);
      // Frozen, the sender cannot finish the pass before the hangup, however loaded the machine.
      net.daemon('master').freeze();
      assert.equal(rsyncProcesses(net.target).size > 0, true, 'no rsync running at the hangup');
      session.kill('SIGKILL');
      await waitFor('script to end (the terminal hung up)', () => session.exitCode !== null || session.signalCode !== null, 30_000);
      net.daemon('master').thaw();
      await waitFor('the run to end', async () => (await statusOf(net.target))?.result !== 'running' || !isProcessAlive(pid ?? 0), 120_000, 100);
      await waitFor('the CLI to exit', () => !isProcessAlive(pid ?? 0), 30_000);
      const status = await statusOf(net.target);
      assert.equal(status?.result, 'synced', `the run ended as ${JSON.stringify(status)} after the hangup`);
      assert.deepEqual(rsyncProcesses(net.target), new Map(), 'an rsync outlived the run');
      assert.deepEqual(await mirrorDigest(net.target), await treeDigest(net.tree('master')));
    } finally {
      session.kill('SIGKILL');
      if (pid !== undefined && isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
      for (const orphan of rsyncProcesses(net.target).keys()) process.kill(orphan, 'SIGKILL');
    }
  });
});
