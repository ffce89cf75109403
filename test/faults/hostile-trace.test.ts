import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { buildNetwork, makeTree, startTraceHttpServer, TRACE_PATH, treeDigest, useLab, writeTrace } from '../lab/index.js';
import { runCli, type CliResult } from '../support/cli.js';
import { GUARD_MS, SLOW_HOST_PROBE, assertEndedWithin, assertHostUntouched, assertNoSecret, makeSentinel, parseJson, type Sentinel } from './hostile-support.js';
import { lockFileOf, lockIsFree, mirrorDigest, patchConfig, V1, type Status } from './support.js';

const asRoot = process.getuid?.() === 0;

interface RankRow {
  readonly name: string;
  readonly usable: boolean;
  readonly reason: string;
}

/**
 * A master, and a hostile alternate ranked before it whose rsync module holds `plant` at the
 * trace's path, while its web side shows a valid trace (so it ranks as usable and the trace pass
 * itself meets the attack). `hostile-rsync` serves the same module without a web side: its probe
 * reads the trace over rsync, through the probe's own temp copy.
 */
async function hostileTraceNetwork(t: TestContext, plant: (path: string, tree: string, sentinel: Sentinel) => Promise<void>) {
  const lab = await useLab(t);
  const sentinel = await makeSentinel(lab);
  const master = lab.path('trees', 'master');
  await makeTree(master, { files: 10, seed: 'v1', trace: { path: TRACE_PATH, at: V1 } });
  const hostile = lab.path('trees', 'hostile');
  await makeTree(hostile, { files: 10, seed: 'evil' });
  await mkdir(join(hostile, dirname(TRACE_PATH)), { recursive: true });
  await plant(join(hostile, TRACE_PATH), hostile, sentinel);
  const web = lab.path('trees', 'hostile-web');
  await makeTree(web, { files: 0, trace: { path: TRACE_PATH, at: V1 } });
  const server = await startTraceHttpServer(lab, { root: web });
  const net = await buildNetwork(lab, { probe: SLOW_HOST_PROBE,
    rsync: { maxDeleteFraction: 1 },
    sources: [
      { name: 'master', master: true, tree: { dir: master } },
      { name: 'hostile', priority: -5, tree: { dir: hostile } },
      { name: 'hostile-rsync', priority: -4, tree: { dir: hostile } },
    ],
  });
  await patchConfig(net.configPath, (doc) => {
    const entry = doc.sources.find((source) => source['name'] === 'hostile');
    if (entry !== undefined) entry['http'] = server.url;
  });
  return { sentinel, master, net };
}

const cli = (args: readonly string[]): Promise<CliResult> => runCli(args, { timeoutMs: GUARD_MS });

/** The attack ends in a refusal of the hostile source, then a sync from the master, and harms nothing. */
async function assertTraceAttackFails(t: TestContext, plant: (path: string, tree: string, sentinel: Sentinel) => Promise<void>, refusal: RegExp, afterBulk = false): Promise<void> {
  const { sentinel, master, net } = await hostileTraceNetwork(t, plant);
  const rank = await cli(['sources', 'rank', '--config', net.configPath, '--json']);
  assertEndedWithin(rank, GUARD_MS);
  const rows = parseJson<{ sources: RankRow[] }>(rank).sources;
  const probed = rows.find((row) => row.name === 'hostile-rsync');
  // A link inside the module is the source's own business: the probe reads what it points to.
  assert.equal(probed?.usable, afterBulk, 'the rsync probe took the hostile trace');
  assert.equal(rows.find((row) => row.name === 'hostile')?.usable, true, 'the web side shows a valid trace');

  const pinned = await cli(['sync', '--config', net.configPath, '--source', 'hostile', '--json']);
  assertEndedWithin(pinned, GUARD_MS);
  // Refused before any deletion (69), or, when the refusal comes at install, after its bulk pass (1).
  assert.equal(pinned.code, afterBulk ? 1 : 69, pinned.stderr);
  const refused = parseJson<Status>(pinned);
  assert.match(refused.tried[0]?.error ?? '', refusal);
  if (afterBulk) assert.ok((await lstat(join(net.target, dirname(TRACE_PATH)))).isSymbolicLink(), 'the source\'s tree (a link inside it) is what the mirror holds until the next source');
  else assert.deepEqual(await mirrorDigest(net.target), new Map(), 'the refused source changed the mirror');
  await assertStagingHoldsNoSpecialFile(net.target);

  const failover = await cli(['sync', '--config', net.configPath, '--json']);
  assertEndedWithin(failover, GUARD_MS);
  assert.equal(failover.code, 0, failover.stderr);
  const status = parseJson<Status>(failover);
  assert.equal(status.source, 'master');
  assert.equal(status.tried[0]?.name, 'hostile');
  assert.match(status.tried[0]?.error ?? '', refusal);
  assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master));
  assert.ok((await lstat(join(net.target, TRACE_PATH))).isFile());
  assert.ok(lockIsFree(lockFileOf(net.target)));
  await assertHostUntouched(sentinel);
  await assertNoSecret(sentinel, net.target, [rank, pinned, failover]);
}

async function assertStagingHoldsNoSpecialFile(target: string): Promise<void> {
  const incoming = join(target, '.mirrorsync', 'incoming');
  const entries = await readdir(incoming, { recursive: true }).catch(() => [] as string[]);
  for (const entry of entries) {
    const info = await lstat(join(incoming, entry));
    assert.ok(info.isFile() || info.isDirectory(), `${entry} in incoming/ is neither a file nor a folder`);
    assert.ok(!info.isFile() || info.size <= 64 * 1024, `${entry} in incoming/ is ${info.size} bytes`);
  }
}

describe('the trace as a weapon: only a regular file of at most 64 KiB is taken', { concurrency: 1 }, () => {
  const unreadable = /trace unreadable|has no zzz\/timestamp\.html/;
  const plants: [string, (path: string, tree: string, sentinel: Sentinel) => Promise<void>, boolean][] = [
    ['a FIFO', async (path) => void execFileSync('mkfifo', [path]), true],
    ['a character device like /dev/zero', async (path) => void execFileSync('mknod', ['-m', '0644', path, 'c', '1', '5']), asRoot],
    ['a huge (sparse, 200 MiB) file', (path) => writeFile(path, '').then(() => truncate(path, 200 * 1024 * 1024)), true],
    ['a file one byte over 64 KiB that starts like a trace', async (path) => {
      await writeTrace(dirname(dirname(path)), TRACE_PATH, V1);
      await truncate(path, 64 * 1024 + 1);
    }, true],
    ['a directory', async (path) => {
      await mkdir(path);
      await writeFile(join(path, 'index.html'), '<pre>2026-11-29 00:00 GMT / 1</pre>');
    }, true],
    ['a symlink to a secret file of the host', (path, _tree, sentinel) => symlink(sentinel.secretFile, path), true],
    ['a symlink to /dev/zero', (path) => symlink('/dev/zero', path), true],
  ];
  for (const [kind, plant, runs] of plants) {
    test(`an upstream trace that is ${kind} is refused as unreadable; the run fails over to the master and ends`, { skip: runs ? false : 'needs root to create a device node' }, async (t) => {
      await assertTraceAttackFails(t, plant, unreadable);
    });
  }

  test('a symlinked folder on the trace\'s path is refused at install: the rename crosses no symlink', async (t) => {
    await assertTraceAttackFails(t, async (path, tree) => {
      // zzz is a link to a real folder holding a valid trace: the trace pass brings it, the bulk
      // pass makes zzz a link, and the install would rename through it.
      await rm(dirname(path), { recursive: true });
      await makeTree(join(tree, 'real'), { files: 0, trace: { path: 'timestamp.html', at: V1 } });
      await symlink('real', dirname(path));
    }, /its path leaves the tree: zzz is a symbolic link, not a directory/, true);
  });

  test('a local trace an old run left as a symlink to a secret, a FIFO or /dev/zero is never read, and is replaced', async (t) => {
    const lab = await useLab(t);
    const sentinel = await makeSentinel(lab);
    const master = lab.path('trees', 'master');
    await makeTree(master, { files: 10, seed: 'v1', trace: { path: TRACE_PATH, at: V1 } });
    const net = await buildNetwork(lab, { probe: SLOW_HOST_PROBE, sources: [{ name: 'master', master: true, tree: { dir: master } }] });
    const results: CliResult[] = [];
    const plants: [string, (path: string) => Promise<void>][] = [
      ['a symlink to a secret', (path) => symlink(sentinel.secretFile, path)],
      ['a FIFO', async (path) => void execFileSync('mkfifo', [path])],
      ['a symlink to /dev/zero', (path) => symlink('/dev/zero', path)],
      ['a symlinked folder', async (path) => {
        await rm(dirname(path), { recursive: true });
        await symlink(join(sentinel.dir, 'etc'), dirname(path));
      }],
    ];
    for (const [kind, plant] of plants) {
      if (results.length === 0) assert.equal((await cli(['sync', '--config', net.configPath])).code, 0);
      await rm(join(net.target, TRACE_PATH), { force: true });
      await plant(join(net.target, TRACE_PATH));
      const result = await cli(['sync', '--config', net.configPath, '--json']);
      results.push(result);
      assertEndedWithin(result, GUARD_MS);
      assert.equal(result.code, 0, `${kind}: ${result.stderr}`);
      assert.equal(parseJson<Status>(result).result, 'synced', `${kind}: an unreadable local trace must not pass for up to date`);
      assert.deepEqual(await mirrorDigest(net.target), await treeDigest(master), kind);
      await assertHostUntouched(sentinel);
    }
    await assertNoSecret(sentinel, net.target, results);
  });
});
