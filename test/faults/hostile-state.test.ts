import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { buildNetwork, makeTree, TRACE_PATH, treeDigest, useLab } from '../lab/index.js';
import { runCli, type CliResult } from '../support/cli.js';
import { GUARD_MS, SLOW_HOST_PROBE, assertEndedWithin, assertHostUntouched, assertNoSecret, makeSentinel, parseJson, type Sentinel } from './hostile-support.js';
import { lockFileOf, lockIsFree, mirrorDigest, V1, type Status } from './support.js';


interface Failure {
  readonly result: string;
  readonly error: { code: string; message: string };
  readonly exitCode: number;
}

/** A master publishing a small tree, and a sentinel folder of the host with a secret. */
async function hostileSetup(t: TestContext, decorate: (tree: string, sentinel: Sentinel) => Promise<void> = async () => undefined) {
  const lab = await useLab(t);
  const sentinel = await makeSentinel(lab);
  const tree = lab.path('trees', 'master');
  await makeTree(tree, { files: 12, seed: 'v1', trace: { path: TRACE_PATH, at: V1 } });
  await decorate(tree, sentinel);
  const net = await buildNetwork(lab, { probe: SLOW_HOST_PROBE, sources: [{ name: 'master', master: true, tree: { dir: tree } }] });
  return { lab, sentinel, tree, net };
}

const sync = (configPath: string): Promise<CliResult> => runCli(['sync', '--config', configPath, '--json'], { timeoutMs: GUARD_MS });

async function makeFifo(path: string): Promise<void> {
  execFileSync('mkfifo', [path]);
}

describe('the state folder .mirrorsync cannot be turned against the host', { concurrency: 1 }, () => {
  const upstreamKinds: [string, (path: string, sentinel: Sentinel) => Promise<void>][] = [
    ['a symlink to a folder of the host', (path, sentinel) => symlink(sentinel.dir, path)],
    ['a relative symlink climbing out', (path) => symlink('../../host', path)],
    ['a regular file', (path) => writeFile(path, 'upstream says this is the state folder\n')],
    ['a FIFO', (path) => makeFifo(path)],
    ['a folder with a lying status and a lock that is a link', async (path, sentinel) => {
      await mkdir(path);
      await writeFile(join(path, 'status.json'), '{"result": "synced"}\n');
      await symlink(join(sentinel.dir, 'lock'), join(path, 'lock'));
    }],
  ];
  for (const [kind, make] of upstreamKinds) {
    test(`an upstream .mirrorsync that is ${kind} is neither copied nor followed; the mirror equals the master`, async (t) => {
      const { sentinel, tree, net } = await hostileSetup(t, (dir, s) => make(join(dir, '.mirrorsync'), s));
      const first = await sync(net.configPath);
      assertEndedWithin(first, GUARD_MS);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(parseJson<Status>(first).result, 'synced');
      assert.ok((await lstat(join(net.target, '.mirrorsync'))).isDirectory(), 'the state folder is no longer a real folder');
      assert.ok((await lstat(lockFileOf(net.target))).isFile());
      assert.deepEqual(await mirrorDigest(net.target), await treeDigest(tree, { exclude: ['.mirrorsync'] }));
      // The next run reads and writes the same state folder, still ours.
      const second = await sync(net.configPath);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(parseJson<Status>(second).result, 'noop');
      assert.ok((await lstat(join(net.target, '.mirrorsync'))).isDirectory());
      await assertHostUntouched(sentinel);
      await assertNoSecret(sentinel, net.target, [first, second]);
      assert.ok(lockIsFree(lockFileOf(net.target)));
    });
  }

  const localKinds: [string, (path: string, sentinel: Sentinel) => Promise<void>, RegExp][] = [
    ['a symlink to a folder of the host', (path, sentinel) => symlink(sentinel.dir, path), /\.mirrorsync is a symbolic link, not a directory/],
    ['a regular file', (path) => writeFile(path, 'not a folder\n'), /\.mirrorsync is a regular file, not a directory/],
    ['a FIFO', (path) => makeFifo(path), /\.mirrorsync is a FIFO, not a directory/],
  ];
  for (const [kind, make, message] of localKinds) {
    test(`a local .mirrorsync that is ${kind} stops sync and status with a clear message, touching nothing`, async (t) => {
      const { sentinel, net } = await hostileSetup(t);
      await mkdir(net.target);
      await make(join(net.target, '.mirrorsync'), sentinel);
      const before = await treeDigest(net.target).catch(() => new Map());
      const result = await sync(net.configPath);
      assertEndedWithin(result, GUARD_MS);
      assert.equal(result.code, 74, result.stderr);
      const failure = parseJson<Failure>(result);
      assert.equal(failure.error.code, 'state.unsafe');
      assert.match(failure.error.message, message);
      assert.match(result.stderr, message);
      const status = await runCli(['status', '--config', net.configPath, '--json'], { timeoutMs: GUARD_MS });
      assert.equal(status.code, 3, 'status is a monitoring plugin: UNKNOWN, saying why');
      assert.match(status.stdout, message);
      assert.deepEqual(await treeDigest(net.target).catch(() => new Map()), before, 'the target changed');
      await assertHostUntouched(sentinel);
      await assertNoSecret(sentinel, net.target, [result, status]);
    });
  }

  const stateFiles: [string, 'file' | 'dir'][] = [['lock', 'file'], ['lock.pid', 'file'], ['status.json', 'file'], ['last-run.log', 'file'], ['history.json', 'file'], ['trace', 'file'], ['incoming', 'dir']];
  test('a state file that is a symlink (lock, status.json, last-run.log, history.json, trace, incoming/…) is refused with exit 74, never written through', async (t) => {
    const { sentinel, tree, net } = await hostileSetup(t);
    const first = await sync(net.configPath);
    assert.equal(first.code, 0, first.stderr);
    const results: CliResult[] = [first];
    for (const [name, kind] of stateFiles) {
      const path = join(net.target, '.mirrorsync', name);
      await rm(path, { recursive: true, force: true });
      await symlink(kind === 'dir' ? sentinel.dir : name === 'status.json' ? join(sentinel.dir, 'etc', 'status.json') : kind === 'file' && name === 'trace' ? sentinel.secretFile : join(sentinel.dir, 'lock'), path);
      const result = await sync(net.configPath);
      results.push(result);
      assertEndedWithin(result, GUARD_MS);
      assert.equal(result.code, 74, `${name}: ${result.stderr}`);
      assert.equal(parseJson<Failure>(result).error.code, 'state.unsafe', name);
      assert.match(result.stderr, new RegExp(`${name.replace('.', '\\.')} is a symbolic link`), name);
      await rm(path);
      await assertHostUntouched(sentinel);
    }
    // Once the links are gone, the mirror syncs again and equals the master.
    const healed = await sync(net.configPath);
    assert.equal(healed.code, 0, healed.stderr);
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(tree));
    await assertNoSecret(sentinel, net.target, [...results, healed]);
  });

  test('a lock that is a FIFO or a folder is refused at once (no hang on open), and the lock of a clean run is free after', async (t) => {
    const { sentinel, net } = await hostileSetup(t);
    assert.equal((await sync(net.configPath)).code, 0);
    const lock = lockFileOf(net.target);
    for (const [kind, make] of [['a FIFO', makeFifo], ['a directory', (path: string) => mkdir(path)]] as const) {
      await rm(lock, { recursive: true, force: true });
      await make(lock);
      const result = await sync(net.configPath);
      assertEndedWithin(result, GUARD_MS);
      assert.equal(result.code, 74, `${kind}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`lock is ${kind}`));
    }
    await rm(lock, { recursive: true, force: true });
    assert.equal((await sync(net.configPath)).code, 0);
    assert.ok(lockIsFree(lock));
    await assertHostUntouched(sentinel);
    assert.deepEqual((await readdir(join(net.target, '.mirrorsync'))).filter((name) => name.endsWith('.tmp')), [], 'temp files left behind');
  });
});
