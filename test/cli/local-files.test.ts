import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildNetwork, HOUR_MS, TRACE_PATH, useLab, type Lab } from '../lab/index.js';
import { runCli, type CliResult } from '../support/cli.js';

async function network(lab: Lab) {
  return buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { files: 5, bytesPerFile: 512, trace: { path: TRACE_PATH, at: new Date(Date.now() - HOUR_MS) } } }] });
}

/** A local file problem: the contract's code, one sentence naming the path, never a stack. */
function assertSentence(result: CliResult, code: number, path: string): void {
  assert.equal(result.code, code, result.stderr);
  assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
  assert.ok(result.stderr.includes(path), result.stderr);
}

describe('every local file problem is a sentence and the contract\'s exit code, never 70', () => {
  test('--log-file in a folder that does not exist, or naming a folder: 73 (cannot create), for every command', async (t) => {
    const lab = await useLab(t);
    const net = await network(lab);
    const missing = lab.path('no-such-dir', 'mirrorsync.log');
    assertSentence(await runCli(['sync', '--config', net.configPath, '--log-file', missing]), 73, missing);
    assertSentence(await runCli(['sources', 'rank', '--config', net.configPath, '--log-file', missing]), 73, missing);
    assertSentence(await runCli(['sources', 'list', '--config', net.configPath, '--log-file', missing]), 73, missing);
    assertSentence(await runCli(['sync', '--config', net.configPath, '--log-file', lab.root]), 73, lab.root);
    await assert.rejects(stat(net.target), { code: 'ENOENT' }, 'nothing ran: the target was not even created');
  });

  test('--metrics-file in a folder that does not exist: 73 before the run starts', async (t) => {
    const lab = await useLab(t);
    const net = await network(lab);
    const missing = lab.path('no-such-dir', 'mirrorsync.prom');
    assertSentence(await runCli(['sync', '--config', net.configPath, '--metrics-file', missing]), 73, missing);
    await assert.rejects(stat(net.target), { code: 'ENOENT' });
  });

  test('a target that cannot be created or is not a folder, and state files of the wrong type: 74', async (t) => {
    const lab = await useLab(t);
    const net = await network(lab);
    const blocker = lab.path('a-file');
    await writeFile(blocker, 'x');
    const underFile = join(blocker, 'mirror');
    assertSentence(await runCli(['sync', '--config', net.configPath, '--target', underFile]), 74, blocker);
    assertSentence(await runCli(['sync', '--config', net.configPath, '--target', blocker]), 74, blocker);

    const target = lab.path('mirror-dirs');
    for (const name of ['status.json', 'lock']) {
      await rm(join(target, '.mirrorsync', name), { force: true });
      await mkdir(join(target, '.mirrorsync', name), { recursive: true });
      const result = await runCli(['sync', '--config', net.configPath, '--target', target]);
      assert.ok(result.code === 74, `.mirrorsync/${name} a folder: exit ${String(result.code)}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
      await rm(join(target, '.mirrorsync', name), { recursive: true });
    }
    const synced = await runCli(['sync', '--config', net.configPath, '--target', target]);
    assert.equal(synced.code, 0, `with the state folder clean again, the same target syncs: ${synced.stderr}`);
    assert.equal(await readFile(join(target, TRACE_PATH), 'utf8'), await readFile(join(net.tree('master'), TRACE_PATH), 'utf8'));
  });
});
