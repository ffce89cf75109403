import assert from 'node:assert/strict';
import { rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { digestDiff, mirrorDigest, v1Tree, V2 } from '../faults/support.js';
import { buildNetwork, HOUR_MS, TRACE_PATH, treeDigest, useLab, writeTrace } from '../lab/index.js';
import { runCli } from '../support/cli.js';

interface DryRunJson {
  readonly dryRun: true;
  readonly result?: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly exitCode?: number;
  readonly commands: readonly string[][];
}

describe('sync --dry-run refuses what a real run refuses, with the same exit code', () => {
  test('unknown --source 64, unsafe target 78, no usable source 69; nothing written', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { files: 3, bytesPerFile: 256, trace: { path: TRACE_PATH, at: new Date(Date.now() - HOUR_MS) } } }] });
    const dry = (...args: string[]) => runCli(['sync', '--config', net.configPath, '--dry-run', ...args]);

    const unknown = await dry('--source', 'nope');
    assert.equal(unknown.code, 64, unknown.stdout + unknown.stderr);
    assert.match(unknown.stderr, /unknown source 'nope'/);
    await symlink('/etc', lab.path('leads-to-etc'));
    assert.equal((await dry('--target', lab.path('leads-to-etc'))).code, 78);

    await net.daemon('master').stop();
    const real = await runCli(['sync', '--config', net.configPath, '--target', lab.path('real-run')]);
    assert.equal(real.code, 69, real.stderr);
    const human = await dry();
    assert.equal(human.code, 69, human.stdout + human.stderr);
    assert.match(human.stdout, /refused: no usable source .*\na sync would exit 69\n$/s);
    const json = await dry('--json');
    assert.equal(json.code, 69);
    const document = JSON.parse(json.stdout) as DryRunJson;
    assert.deepEqual([document.dryRun, document.result, document.error?.code, document.exitCode], [true, 'failed', 'sources.noneUsable', 69]);
    await assert.rejects(stat(net.target), { code: 'ENOENT' }, 'a dry run created the target');
  });
});

describe('--max-delete-fraction F: rsync.maxDeleteFraction for one run', () => {
  test('a pass stopped at the cap is refused again (real and dry run: exit 1) until the flag allows it for one run', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: v1Tree(120, { bytesPerFile: 128 }) }] });
    assert.equal((await runCli(['sync', '--config', net.configPath])).code, 0);
    const master = net.tree('master');
    const before = await mirrorDigest(net.target);
    const files = [...before.entries()].filter(([path, kind]) => kind !== 'dir' && path !== TRACE_PATH).map(([path]) => path);
    for (const path of files.filter((_, index) => index % 2 === 0)) await rm(join(master, path));
    await writeTrace(master, TRACE_PATH, V2);

    const stopped = await runCli(['sync', '--config', net.configPath]);
    assert.equal(stopped.code, 1, stopped.stderr);
    const afterStop = await mirrorDigest(net.target);
    assert.ok(digestDiff(before, afterStop).lost.length > 0, 'the cap was not exercised');

    const again = await runCli(['sync', '--config', net.configPath]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already stopped at the --max-delete limit.*--max-delete-fraction above 0\.2/);
    const dryAgain = await runCli(['sync', '--config', net.configPath, '--dry-run', '--json']);
    assert.equal(dryAgain.code, 1, 'the dry run ends as the real run would');
    assert.equal((JSON.parse(dryAgain.stdout) as DryRunJson).error?.code, 'sync.maxDelete');

    for (const bad of ['0', '1.5', '-0.5', 'half', '0x1', '']) {
      const refused = await runCli(['sync', '--config', net.configPath, '--max-delete-fraction', bad]);
      assert.equal(refused.code, 64, `--max-delete-fraction '${bad}': ${refused.stderr}`);
    }
    assert.deepEqual(await mirrorDigest(net.target), afterStop, 'a refused run changed the mirror');

    const dryAllowed = await runCli(['sync', '--config', net.configPath, '--dry-run', '--json', '--max-delete-fraction', '1']);
    assert.equal(dryAllowed.code, 0, dryAllowed.stderr);
    assert.ok((JSON.parse(dryAllowed.stdout) as DryRunJson).commands.flat().some((arg) => /^--max-delete=\d+$/.test(arg)));

    const allowed = await runCli(['sync', '--config', net.configPath, '--max-delete-fraction', '1']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /--max-delete-fraction 1 for this run \(the config says 0\.2\)/);
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
  });
});
