// Lies about time (issue 10, attack 4): a source that dates its trace ahead must not capture the
// mirror, and a mirror already captured is brought back to the master's publication.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildNetwork, HOUR_MS, makeTree, TRACE_PATH, treeDigest, useLab, writeTrace, type Lab } from '../lab/index.js';
import { runCli } from '../support/cli.js';
import { copyTree, mirrorDigest, publish, readStatus, V1, v1Tree, V2, type Status, rankRows } from './support.js';

const MINUTE_MS = 60_000;

/** A tree at v1 and a mirror equal to it; returns the tree. */
async function mirroredTree(lab: Lab, name: string): Promise<string> {
  const tree = lab.path('trees', name);
  await makeTree(tree, v1Tree(40));
  await copyTree(tree, lab.path('mirror'));
  return tree;
}

/** A copy of `from` that claims a publication dated `at`, with `extra` files the master never published. */
async function liarTree(lab: Lab, from: string, at: Date, extra: number): Promise<string> {
  const tree = lab.path('trees', `liar-${at.getTime()}`);
  await copyTree(from, tree);
  await makeTree(join(tree, 'planted'), { files: extra, bytesPerFile: 256, seed: 'planted' });
  await writeTrace(tree, TRACE_PATH, at);
  return tree;
}

async function sync(configPath: string): Promise<{ code: number | null; status: Status; stderr: string }> {
  const result = await runCli(['sync', '--config', configPath, '--json']);
  return { code: result.code, status: JSON.parse(result.stdout) as Status, stderr: result.stderr };
}

describe('lies about time', () => {
  test('an alternate dated 3 h ahead of a reachable master is refused; the master syncs', async (t) => {
    const lab = await useLab(t);
    const master = await mirroredTree(lab, 'master');
    await publish(master, { folder: 'v2', files: 5, bytesPerFile: 512, at: V2 });
    const liar = await liarTree(lab, master, new Date(Date.now() + 3 * HOUR_MS), 3);
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'liar', priority: -1, tree: { dir: liar } },
        { name: 'master', master: true, tree: { dir: master } },
      ],
    });
    const rows = await rankRows(net.configPath);
    assert.equal(rows.get('liar')?.usable, false);
    // 3 h is beyond the default skew of 300 s: the probe refuses it before any comparison.
    assert.match(rows.get('liar')?.reason ?? '', /^trace from the future: dated .*ahead of this host's clock/);
    const { code, status, stderr } = await sync(net.configPath);
    assert.equal(code, 0, stderr);
    assert.deepEqual(status.tried.map((entry) => entry.name), ['master']);
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
  });

  test('an alternate ahead of the master but within the skew is still never above it: refused, even with priority', async (t) => {
    const lab = await useLab(t);
    const master = await mirroredTree(lab, 'master');
    await publish(master, { folder: 'v2', files: 5, bytesPerFile: 512, at: V2 });
    // In the past, so no skew rule applies: only "nothing is fresher than the master" does.
    const liar = await liarTree(lab, master, new Date(V2.getTime() + 30 * MINUTE_MS), 3);
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'liar', priority: -1, tree: { dir: liar } },
        { name: 'master', master: true, tree: { dir: master } },
      ],
    });
    assert.match((await rankRows(net.configPath)).get('liar')?.reason ?? '', /^refused: claims a publication newer than the master's \(by 30m\)/);
    for (const mode of ['incremental', 'initial']) {
      const result = await runCli(['sync', '--config', net.configPath, '--json', '--mode', mode]);
      assert.equal(result.code, 0, result.stderr);
      const status = JSON.parse(result.stdout) as Status;
      assert.ok(!status.tried.some((entry) => entry.name === 'liar'), `${mode}: the liar was synced from`);
      assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master), mode);
    }
  });

  test('a master dated 2 min ahead (within the skew) is believed; 1 h ahead is refused as from the future', async (t) => {
    const lab = await useLab(t);
    const master = await mirroredTree(lab, 'master');
    const alt = lab.path('trees', 'alt');
    await copyTree(master, alt);
    await publish(alt, { folder: 'v2', files: 4, bytesPerFile: 512, at: V2 });
    await publish(master, { folder: 'v2', files: 4, bytesPerFile: 512, at: new Date(Date.now() + HOUR_MS) });
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'master', master: true, tree: { dir: master } },
        { name: 'alt', tree: { dir: alt } },
      ],
    });
    const rows = await rankRows(net.configPath);
    assert.equal(rows.get('master')?.usable, false);
    assert.match(rows.get('master')?.reason ?? '', /^trace from the future: dated .*, (59m|1h)/);
    const first = await sync(net.configPath);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.status.source, 'alt');
    assert.match(first.stderr, /master: trace from the future/);

    await writeTrace(master, TRACE_PATH, new Date(Date.now() + 2 * MINUTE_MS));
    const second = await sync(net.configPath);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.status.source, 'master');
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
  });

  test('with the master down, an alternate from the future is refused: exit 69, the mirror untouched', async (t) => {
    const lab = await useLab(t);
    const master = await mirroredTree(lab, 'origin');
    const liar = await liarTree(lab, master, new Date(Date.now() + 6 * HOUR_MS), 3);
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'master', master: true, kind: 'closed' },
        { name: 'liar', tree: { dir: liar } },
      ],
    });
    const before = await mirrorDigest(net.target);
    const { code, status, stderr } = await sync(net.configPath);
    assert.equal(code, 69, stderr);
    assert.equal(status.error?.code, 'sources.noneUsable');
    assert.match(status.error?.message ?? '', /liar: trace from the future/);
    assert.deepEqual(await mirrorDigest(net.target), before);
  });

  test('a captured mirror (local newer than the master) is brought back to the master with a warning, then runs are no-ops', async (t) => {
    const lab = await useLab(t);
    const master = lab.path('trees', 'master');
    await makeTree(master, v1Tree(40));
    // The mirror holds what a liar served: the master's files, planted ones, and a later trace.
    const captured = await liarTree(lab, master, new Date(V1.getTime() + 90 * MINUTE_MS), 4);
    await copyTree(captured, lab.path('mirror'));
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'master', master: true, tree: { dir: master } },
        { name: 'liar', priority: -1, tree: { dir: captured } },
      ],
    });
    const rows = await rankRows(net.configPath);
    assert.equal(rows.get('master')?.usable, true);
    assert.match(rows.get('master')?.reason ?? '', /brought back to the master's/);
    assert.equal(rows.get('liar')?.usable, false);

    const first = await sync(net.configPath);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.status.result, 'synced');
    assert.equal(first.status.source, 'master');
    assert.match(first.stderr, /newer than the master's .*syncing the master's publication/);
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
    // The mirror's own trace, read by mirrors downstream, follows the master too.
    const ownTrace = await readFile(join(net.target, '.mirrorsync', 'trace'), 'utf8');
    assert.equal(ownTrace.split(' ')[0], `${V1.toISOString().slice(0, 16)}:00Z`);

    const second = await sync(net.configPath);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.status.result, 'noop');
    assert.doesNotMatch(second.stderr, /newer than the master's/);
  });

  test('bringing a captured mirror back stays under the max-delete guard', async (t) => {
    const lab = await useLab(t);
    const master = lab.path('trees', 'master');
    await makeTree(master, v1Tree(20));
    // 40 planted files in a mirror of ~60 entries: far beyond maxDeleteFraction 0.2.
    const captured = await liarTree(lab, master, new Date(V1.getTime() + 90 * MINUTE_MS), 40);
    await copyTree(captured, lab.path('mirror'));
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { dir: master } }] });
    const { code, status, stderr } = await sync(net.configPath);
    assert.equal(code, 1, stderr);
    assert.equal(status.error?.code, 'sync.maxDelete');
    assert.equal((await readStatus(net.target)).error?.code, 'sync.maxDelete');
  });

  test("a local trace from the future is not believed: the run syncs the master's publication with a warning", async (t) => {
    const lab = await useLab(t);
    const master = await mirroredTree(lab, 'master');
    await writeTrace(lab.path('mirror'), TRACE_PATH, new Date(Date.now() + 5 * HOUR_MS));
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { dir: master } }] });
    const { code, status, stderr } = await sync(net.configPath);
    assert.equal(code, 0, stderr);
    assert.equal(status.result, 'synced');
    assert.match(stderr, /the local trace is from the future/);
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
  });
});
