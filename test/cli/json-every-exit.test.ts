import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { lockFileOf, lockIsFree, waitFor } from '../faults/support.js';
import { buildNetwork, HOUR_MS, TRACE_PATH, useLab } from '../lab/index.js';
import { runCli, type CliResult } from '../support/cli.js';

interface FailureDocument {
  readonly result: string;
  readonly error: { readonly code: string; readonly message: string };
  readonly exitCode: number;
}

/** stdout is exactly one JSON document: the failure, with the code the process exited with. */
function assertFailureDocument(result: CliResult, exitCode: number, errorCode: string): FailureDocument {
  assert.equal(result.code, exitCode, result.stderr);
  let document: FailureDocument;
  try {
    document = JSON.parse(result.stdout) as FailureDocument;
  } catch {
    assert.fail(`stdout is not one JSON document: ${JSON.stringify(result.stdout)} (stderr: ${result.stderr})`);
  }
  assert.deepEqual(Object.keys(document).sort(), ['error', 'exitCode', 'result']);
  assert.equal(document.result, 'failed');
  assert.equal(document.exitCode, exitCode);
  assert.equal(document.error.code, errorCode);
  assert.ok(document.error.message.length > 0);
  return document;
}

describe('--json prints one JSON document for every exit, even when the run never started', () => {
  test('sync, sources rank and sources list: bad config 78, bad flag 64, unknown source 64, unsafe target 78, local 74 and 73', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { files: 3, bytesPerFile: 256, trace: { path: TRACE_PATH, at: new Date(Date.now() - HOUR_MS) } } }] });
    const missing = lab.path('missing.json');
    const invalid = lab.path('invalid.json');
    await writeFile(invalid, '{"name": "x", "sources": [], "surprise": 1}');
    const blocker = lab.path('a-file');
    await writeFile(blocker, '');

    for (const command of [['sync'], ['sources', 'rank'], ['sources', 'list']]) {
      assert.match(assertFailureDocument(await runCli([...command, '--json', '--config', missing], { cwd: lab.root }), 78, 'config.notFound').error.message, /missing\.json/);
      assertFailureDocument(await runCli([...command, '--json', '--config', invalid], { cwd: lab.root }), 78, 'config.invalid');
      assertFailureDocument(await runCli([...command, '--json', '--config', net.configPath, '--no-such-flag']), 64, 'usage.invalid');
      assertFailureDocument(await runCli([...command, '--json', '--config', net.configPath, '--log-file', join(blocker, 'x.log')]), 73, 'local.cannotCreate');
    }
    assertFailureDocument(await runCli(['sync', '--json', '--config', net.configPath, '--mode', 'sideways']), 64, 'usage.invalid');
    assert.match(assertFailureDocument(await runCli(['sync', '--json', '--config', net.configPath, '--source', 'nope']), 64, 'sources.unknown').error.message, /nope/);
    assertFailureDocument(await runCli(['sync', '--json', '--config', net.configPath, '--target', '/etc']), 78, 'config.invalid');
    await symlink('/etc', lab.path('leads-to-etc'));
    assertFailureDocument(await runCli(['sync', '--json', '--config', net.configPath, '--target', lab.path('leads-to-etc')]), 78, 'target.unsafe');
    assertFailureDocument(await runCli(['sync', '--json', '--config', net.configPath, '--target', join(blocker, 'mirror')]), 74, 'sync.local');
    assertFailureDocument(await runCli(['sync', '--json', '--config', net.configPath, '--metrics-file', join(blocker, 'm.prom')]), 73, 'local.cannotCreate');
  });

  test('sync with the lock held: 75, and the document names the holder', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { files: 3, bytesPerFile: 256, trace: { path: TRACE_PATH, at: new Date(Date.now() - HOUR_MS) } } }] });
    const lock = lockFileOf(net.target);
    await mkdir(join(net.target, '.mirrorsync'), { recursive: true });
    const holder = spawn('flock', ['-x', lock, 'sleep', '120'], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let ended = '';
    holder.stderr.setEncoding('utf8').on('data', (chunk: string) => (ended += chunk));
    holder.on('exit', (code, signal) => (ended += ` (flock ended: ${String(code ?? signal)})`));
    try {
      await waitFor('flock to take the lock', () => {
        if (ended !== '') throw new Error(`the lock holder ended early: ${ended}`);
        return !lockIsFree(lock);
      }, 30_000);
      const document = assertFailureDocument(await runCli(['sync', '--json', '--config', net.configPath]), 75, 'lock.held');
      assert.match(document.error.message, new RegExp(`PID ${String(holder.pid)}\\b`));
    } finally {
      if (holder.pid !== undefined && holder.exitCode === null && holder.signalCode === null) process.kill(-holder.pid, 'SIGKILL');
    }
  });
});
