import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { buildNetwork, makeTree, TRACE_PATH, treeDigest, useLab } from '../lab/index.js';
import { runCli, type CliResult } from '../support/cli.js';
import { GUARD_MS, SLOW_HOST_PROBE, assertEndedWithin, assertHostUntouched, assertNoSecret, makeSentinel, modesUnder, parseJson, type Sentinel } from './hostile-support.js';
import { V1, type Status } from './support.js';

const asRoot = process.getuid?.() === 0;

async function setup(t: TestContext, decorate: (tree: string, sentinel: Sentinel) => Promise<void>, rsync: Record<string, unknown> = {}) {
  const lab = await useLab(t);
  const sentinel = await makeSentinel(lab);
  const tree = lab.path('trees', 'master');
  await makeTree(tree, { files: 6, seed: 'v1', trace: { path: TRACE_PATH, at: V1 } });
  await decorate(tree, sentinel);
  const net = await buildNetwork(lab, { probe: SLOW_HOST_PROBE, rsync, sources: [{ name: 'master', master: true, tree: { dir: tree } }] });
  return { sentinel, tree, net };
}

async function syncOk(configPath: string): Promise<CliResult> {
  const result = await runCli(['sync', '--config', configPath, '--json'], { timeoutMs: GUARD_MS });
  assertEndedWithin(result, GUARD_MS);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(parseJson<Status>(result).result, 'synced');
  return result;
}

// Modes a source chose: setuid root shells, setgid folders, sticky and world-writable places.
async function hostileModes(tree: string): Promise<void> {
  await mkdir(join(tree, 'bin'));
  await writeFile(join(tree, 'bin', 'suid-shell'), '#!/bin/sh\nid\n');
  await chmod(join(tree, 'bin', 'suid-shell'), 0o4755);
  await writeFile(join(tree, 'bin', 'sgid-tool'), 'x');
  await chmod(join(tree, 'bin', 'sgid-tool'), 0o2755);
  await writeFile(join(tree, 'bin', 'both'), 'x');
  await chmod(join(tree, 'bin', 'both'), 0o6777);
  await writeFile(join(tree, 'world-writable'), 'x');
  await chmod(join(tree, 'world-writable'), 0o666);
  await mkdir(join(tree, 'tmp-like'));
  await chmod(join(tree, 'tmp-like'), 0o1777);
  await mkdir(join(tree, 'sgid-dir'));
  await chmod(join(tree, 'sgid-dir'), 0o2775);
  await writeFile(join(tree, 'sticky-file'), 'x');
  await chmod(join(tree, 'sticky-file'), 0o1644);
  if (asRoot) await chown(join(tree, 'world-writable'), 4321, 8765);
  await chmod(join(tree, 'bin'), 0o755);
}

function assertPlainModes(modes: ReadonlyMap<string, { type: string; mode: number; uid: number; gid: number }>): void {
  for (const [path, { type, mode, uid, gid }] of modes) {
    if (type === 'l') continue;
    assert.equal(mode & 0o7000, 0, `${path} kept setuid, setgid or sticky bits (${mode.toString(8)})`);
    assert.equal(mode & 0o002, 0, `${path} is world-writable (${mode.toString(8)})`);
    assert.equal(uid, process.getuid?.(), `${path} kept its upstream owner ${uid}`);
    assert.equal(gid, process.getgid?.(), `${path} kept its upstream group ${gid}`);
  }
}

describe('a source cannot plant privileges, devices or links out of the tree', { concurrency: 1 }, () => {
  for (const [label, args] of [['by default', []], ['even with -a and a --chmod that adds them in rsync.args', ['-a', '--chmod=u+s,g+s,o+w,+t']]] as const) {
    test(`setuid, setgid, sticky and world-write bits and upstream owners are stripped ${label}; contents and other bits arrive`, async (t) => {
      const { sentinel, tree, net } = await setup(t, (dir) => hostileModes(dir), { args });
      const result = await syncOk(net.configPath);
      const modes = await modesUnder(net.target);
      assertPlainModes(modes);
      assert.equal(modes.get('bin/suid-shell')?.mode, 0o755);
      assert.equal(modes.get('bin/both')?.mode, 0o775, 'group write is not a source\'s privilege over the host: kept');
      assert.equal(modes.get('world-writable')?.mode, 0o664);
      assert.equal(modes.get('tmp-like')?.mode, 0o775);
      assert.equal(modes.get('sgid-dir')?.mode, 0o775);
      assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), await treeDigest(tree));
      await assertHostUntouched(sentinel);
      await assertNoSecret(sentinel, net.target, [result]);
    });
  }

  test('device nodes, FIFOs and sockets upstream are not created, even with -a in rsync.args; the rest arrives', { skip: asRoot ? false : 'creating device nodes upstream needs root' }, async (t) => {
    const { sentinel, tree, net } = await setup(t, async (dir) => {
      await mkdir(join(dir, 'dev'));
      // A world-readable block device of the host's disk, a character device, a FIFO, a socket.
      execFileSync('mknod', ['-m', '0666', join(dir, 'dev', 'disk'), 'b', '7', '0']);
      execFileSync('mknod', ['-m', '0666', join(dir, 'dev', 'mem'), 'c', '1', '1']);
      execFileSync('mkfifo', [join(dir, 'dev', 'fifo')]);
      execFileSync('python3', ['-c', `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(join(dir, 'dev', 'sock'))})`]);
    }, { args: ['-a'] });
    const result = await syncOk(net.configPath);
    const modes = await modesUnder(net.target);
    assert.deepEqual([...modes].filter(([, entry]) => !['f', 'd', 'l'].includes(entry.type)).map(([path]) => path), [], 'a special file was created');
    assert.ok(modes.get('dev')?.type === 'd');
    const expected = new Map([...(await treeDigest(tree))].filter(([path]) => !path.startsWith('dev/')));
    assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), expected);
    await assertHostUntouched(sentinel);
    await assertNoSecret(sentinel, net.target, [result]);
  });

  const links = async (dir: string, sentinel: Sentinel): Promise<void> => {
    await symlink(sentinel.dir, join(dir, 'host-etc'));
    await symlink(sentinel.secretFile, join(dir, 'shadow'));
    await mkdir(join(dir, 'deep', 'er'), { recursive: true });
    await symlink('../../../host/etc/shadow', join(dir, 'deep', 'er', 'climb'));
    await symlink('../file-inside', join(dir, 'deep', 'inside'));
    await writeFile(join(dir, 'file-inside'), 'inside');
  };

  test('symlinks leaving the tree (absolute, or climbing out with ..) are not created; links inside it are', async (t) => {
    const { sentinel, tree, net } = await setup(t, links);
    const result = await syncOk(net.configPath);
    for (const path of ['host-etc', 'shadow', 'deep/er/climb']) {
      await assert.rejects(lstat(join(net.target, path)), { code: 'ENOENT' }, `${path} was created`);
    }
    assert.equal(await readlink(join(net.target, 'deep', 'inside')), '../file-inside');
    const expected = new Map([...(await treeDigest(tree))].filter(([path]) => !['host-etc', 'shadow', 'deep/er/climb'].includes(path)));
    assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), expected);
    await assertHostUntouched(sentinel);
    await assertNoSecret(sentinel, net.target, [result]);
  });

  test('with rsync.keepUnsafeLinks those links arrive verbatim, and nothing outside the tree is touched', async (t) => {
    const { sentinel, tree, net } = await setup(t, links, { keepUnsafeLinks: true });
    const result = await syncOk(net.configPath);
    assert.equal(await readlink(join(net.target, 'host-etc')), sentinel.dir);
    assert.equal(await readlink(join(net.target, 'deep', 'er', 'climb')), '../../../host/etc/shadow');
    assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), await treeDigest(tree));
    // A second run goes through the same links without writing through them.
    const again = await runCli(['sync', '--config', net.configPath, '--full', '--json'], { timeoutMs: GUARD_MS });
    assert.equal(again.code, 0, again.stderr);
    await assertHostUntouched(sentinel);
    await assertNoSecret(sentinel, net.target, [result, again]);
  });
});
