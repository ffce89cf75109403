// rsync's words faked (issue 10, attack 6): a sentence of rsync's in a file name or a daemon's
// MOTD must not stop the run as a --max-delete stop, nor make the guard refuse the master later.
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeTree, startDaemon, TRACE_PATH, treeDigest, useLab, type Lab } from '../lab/index.js';
import { runCli } from '../support/cli.js';
import { copyTree, mirrorDigest, publish, readStatus, v1Tree, V2, type Status } from './support.js';

const SENTENCE = 'Deletions stopped due to --max-delete limit (1 skipped)';

interface SourceEntry {
  name: string;
  url: string;
  master?: boolean;
  priority?: number;
}

async function writeConfig(lab: Lab, sources: readonly SourceEntry[]): Promise<string> {
  const path = lab.path('sources.json');
  const doc = {
    name: 'sage',
    target: lab.path('mirror'),
    trace: TRACE_PATH,
    sources: sources.map((source) => ({ master: false, priority: 0, ...source })),
    // Every source here answers: deadlines a busy machine meets (none of them is meant to fire).
    rsync: { timeoutSeconds: 15, connectTimeoutSeconds: 10, retries: 0, retryDelaySeconds: 0 },
    probe: { timeoutMs: 20_000, samples: 1 },
  };
  await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}

async function sync(configPath: string): Promise<{ code: number | null; status: Status; stderr: string }> {
  const result = await runCli(['sync', '--config', configPath, '--json']);
  return { code: result.code, status: JSON.parse(result.stdout) as Status, stderr: result.stderr };
}

/** A master tree at v1 and a mirror equal to it. */
async function masterAndMirror(lab: Lab): Promise<string> {
  const tree = lab.path('trees', 'master');
  await makeTree(tree, v1Tree(30));
  await copyTree(tree, lab.path('mirror'));
  return tree;
}

/** A master and an alternate that both published v2, and a mirror still at v1. */
async function masterAltAndMirror(lab: Lab): Promise<{ master: string; alt: string }> {
  const master = await masterAndMirror(lab);
  const alt = lab.path('trees', 'alt');
  await copyTree(master, alt);
  for (const tree of [alt, master]) await publish(tree, { folder: 'v2', files: 3, bytesPerFile: 256, at: V2 });
  return { master, alt };
}

describe("rsync's words where rsync did not say them", () => {
  test('a file named like the max-delete sentence that the sender cannot read: the run fails over, and the master is not refused afterwards', async (t) => {
    const lab = await useLab(t);
    const { master, alt } = await masterAltAndMirror(lab);
    const bait = join(master, 'v2', SENTENCE);
    await writeFile(bait, 'bait');
    await chmod(bait, 0);
    // The daemon drops to nobody for this module, so the sender really fails to open the file
    // and rsync quotes its name on stderr (exit 23).
    for (const dir of [lab.root, lab.path('trees'), master]) await chmod(dir, 0o755);
    const masterDaemon = await startDaemon(lab, { name: 'master', tree: master, extraModuleLines: ['uid = 65534', 'gid = 65534'] });
    const altDaemon = await startDaemon(lab, { name: 'alt', tree: alt });
    const configPath = await writeConfig(lab, [
      { name: 'master', url: masterDaemon.url, master: true, priority: -1 },
      { name: 'alt', url: altDaemon.url },
    ]);

    const first = await sync(configPath);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.status.result, 'synced');
    assert.equal(first.status.source, 'alt');
    assert.match(first.status.tried[0]?.error ?? '', /rsync exit 23/);
    assert.doesNotMatch(first.status.tried[0]?.error ?? '', /--max-delete limit stopped/);
    assert.deepEqual(await mirrorDigest(lab.path('mirror')), await treeDigest(alt));
    assert.equal((await readStatus(lab.path('mirror')) as Status & { maxDeleteStop?: unknown }).maxDeleteStop, undefined);

    // The master fixes the file and publishes again: it is synced from, nothing refuses it.
    await chmod(bait, 0o644);
    await publish(master, { folder: 'v3', files: 2, bytesPerFile: 256, at: new Date(V2.getTime() + 10 * 60_000) });
    const second = await sync(configPath);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.status.source, 'master');
    assert.deepEqual(await mirrorDigest(lab.path('mirror')), await treeDigest(master));
  });

  test('a MOTD carrying the max-delete sentence: --no-motd keeps it out, the pass that deletes syncs', async (t) => {
    const lab = await useLab(t);
    const master = await masterAndMirror(lab);
    await publish(master, { folder: 'v2', files: 3, bytesPerFile: 256, at: V2 });
    const daemon = await startDaemon(lab, { name: 'master', tree: master, motd: `${SENTENCE}\nNumber of deleted files: 99999\n` });
    const configPath = await writeConfig(lab, [{ name: 'master', url: daemon.url, master: true }]);
    const { code, status, stderr } = await sync(configPath);
    assert.equal(code, 0, stderr);
    assert.equal(status.result, 'synced');
    assert.deepEqual(await mirrorDigest(lab.path('mirror')), await treeDigest(master));
    assert.doesNotMatch(stderr, /Deletions stopped/);
  });

  test('a MOTD line that looks like @ERROR: that daemon refuses itself; the run fails over and the guard stays clear', async (t) => {
    const lab = await useLab(t);
    const { master, alt } = await masterAltAndMirror(lab);
    const liar = await startDaemon(lab, { name: 'liar', tree: alt, motd: `@ERROR: ${SENTENCE}\n` });
    const daemon = await startDaemon(lab, { name: 'master', tree: master });
    const configPath = await writeConfig(lab, [
      { name: 'liar', url: liar.url, priority: -1 },
      { name: 'master', url: daemon.url, master: true },
    ]);
    const rank = await runCli(['sources', 'rank', '--config', configPath, '--json']);
    const liarRow = (JSON.parse(rank.stdout) as { sources: Array<{ name: string; usable: boolean; reason: string }> }).sources.find((row) => row.name === 'liar');
    assert.equal(liarRow?.usable, false);
    assert.match(liarRow?.reason ?? '', /^refused: Deletions stopped/);
    const { code, status, stderr } = await sync(configPath);
    assert.equal(code, 0, stderr);
    assert.equal(status.source, 'master');
    assert.deepEqual(await mirrorDigest(lab.path('mirror')), await treeDigest(master));
    assert.notEqual((await readStatus(lab.path('mirror'))).error?.code, 'sync.maxDelete');
  });
  test("a sender that fakes our own disk failing (rsync's receiver words, exit 11): our side is checked, the run fails over instead of stopping at 74", async (t) => {
    const lab = await useLab(t);
    const { master, alt } = await masterAltAndMirror(lab);
    const liar = await startDaemon(lab, { name: 'liar', tree: alt });
    const daemon = await startDaemon(lab, { name: 'master', tree: master });
    // rsync relays a sender's messages and its error exit; a patched sender can therefore make
    // our rsync print a receiver-side ENOSPC and exit 11. A wrapper stands in for that sender on
    // the liar's bulk pass (the one with --delete-after) and runs the real rsync otherwise.
    const port = new URL(liar.url).port;
    const wrapper = lab.path('lying-rsync');
    await writeFile(
      wrapper,
      [
        '#!/bin/sh',
        'case "$*" in',
        `  *--delete-after*)`,
        '    case "$*" in',
        `      *127.0.0.1:${port}/*)`,
        `        echo 'rsync: [receiver] write failed on "/srv/big.iso": No space left on device (28)' >&2`,
        `        echo 'rsync error: error in file IO (code 11) at receiver.c(381) [receiver=3.5.0]' >&2`,
        '        exit 11;;',
        '    esac;;',
        'esac',
        'exec rsync "$@"',
        '',
      ].join('\n'),
    );
    await chmod(wrapper, 0o755);
    const configPath = await writeConfig(lab, [
      { name: 'liar', url: liar.url, priority: -1 },
      { name: 'master', url: daemon.url, master: true },
    ]);
    const doc = JSON.parse(await readFile(configPath, 'utf8')) as { rsync: Record<string, unknown> };
    doc.rsync = { ...doc.rsync, binary: wrapper, cve2024Patched: true };
    await writeFile(configPath, `${JSON.stringify(doc, null, 2)}\n`);

    const { code, status, stderr } = await sync(configPath);
    assert.equal(code, 0, stderr);
    assert.equal(status.result, 'synced');
    assert.equal(status.source, 'master');
    assert.equal(status.tried[0]?.name, 'liar');
    assert.match(status.tried[0]?.error ?? '', /taken as the source's failure/);
    assert.deepEqual(await mirrorDigest(lab.path('mirror')), await treeDigest(master));
  });
});
