import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { waitFor } from '../faults/support.js';
import { buildNetwork, HOUR_MS, TRACE_PATH, useLab } from '../lab/index.js';
import { cliPath, repoRoot } from '../support/paths.js';

/** The README's logrotate snippet, as an operator would paste it. */
async function readmeSnippet(): Promise<string> {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Logs and logrotate'));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block !== undefined && block.includes('/var/log/mirrorsync/'), 'no logrotate snippet in the README');
  return block;
}

const logrotate = existsSync('/usr/sbin/logrotate') ? '/usr/sbin/logrotate' : 'logrotate';

describe("the README's logrotate snippet", () => {
  test('logrotate -f during a running sync: the old files are rotated, the new log file gets the rest of the run', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      sources: [{ name: 'master', master: true, bwlimitKBps: 60, tree: { files: 40, bytesPerFile: 4096, trace: { path: TRACE_PATH, at: new Date(Date.now() - HOUR_MS) } } }],
      // The sender is frozen across the rotation: rsync's idle timeout must not end the pass meanwhile.
      rsync: { timeoutSeconds: 300 },
    });
    const logDir = lab.path('log');
    await mkdir(logDir, { mode: 0o755 });
    const logFile = join(logDir, 'sage.log');
    const errFile = join(logDir, 'sage.err');
    // As the schedule's cron line runs it: --log-file, and stderr appended to the .err file (2>>).
    const err = await open(errFile, 'a');
    const run = spawn(process.execPath, [cliPath, 'sync', '--config', net.configPath, '--log-file', logFile, '--log-level', 'debug'], {
      stdio: ['ignore', 'ignore', err.fd],
      env: { ...process.env, MIRRORSYNC_CONFIG: '' },
    });
    await err.close();
    const ended = new Promise<number | null>((resolve) => run.on('exit', (code) => resolve(code)));
    let exited = false;
    void ended.then(() => (exited = true));
    try {
      await waitFor('the bulk pass to start', async () => {
        assert.equal(exited, false, 'the sync ended before the rotation: the transfer is too quick to rotate under');
        return /bulk pass from master: starting/.test(await readFile(logFile, 'utf8').catch(() => ''));
      }, 60_000);

      // Frozen, the sender cannot finish the run before the rotation, however loaded the machine.
      net.daemon('master').freeze();
      const config = join(lab.root, 'logrotate.conf');
      await writeFile(config, (await readmeSnippet()).replaceAll('/var/log/mirrorsync', logDir), { mode: 0o644 });
      await chmod(config, 0o644);
      const rotated = spawnSync(logrotate, ['-f', '-s', join(lab.root, 'logrotate.state'), config], { encoding: 'utf8' });
      assert.equal(rotated.status, 0, `logrotate failed: ${rotated.stderr}`);
      assert.equal(exited, false, 'the sync was over before the rotation: nothing shows the reopen');
      net.daemon('master').thaw();

      assert.equal(await ended, 0);
      const before = await readFile(`${logFile}.1`, 'utf8');
      const after = await readFile(logFile, 'utf8');
      assert.match(before, /bulk pass from master: starting/);
      assert.doesNotMatch(before, /synced from master/, 'the run went on writing to the rotated file');
      assert.match(after, /synced from master/, 'the rest of the run did not reach the new log file');
      for (const line of after.trim().split('\n')) JSON.parse(line);
      assert.match(await readFile(`${errFile}.1`, 'utf8'), /bulk pass from master: starting/);
      assert.match(await readFile(errFile, 'utf8'), /synced from master/, 'stderr did not go on into the truncated .err file');
      assert.doesNotMatch(await readFile(errFile, 'utf8'), /^\0/, 'the truncated .err file starts with a hole: its writer does not append');
    } finally {
      if (!exited) run.kill('SIGKILL');
    }
  });
});
