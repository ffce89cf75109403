import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { cacheTrustProblem, codeCachePath, readCodeCache, writeCodeCache, type BundleIdentity } from '../../src/boot/code-cache.js';
import { shouldMakeCache, type BootCache } from '../../src/boot/index.js';
import { copyShippedCli, editBundle, runCopy, runCopyCli } from './boot-copy.js';

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mirrorsync-boot-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const IDENTITY: BundleIdentity = { digest: 'a'.repeat(64), size: 499_381n, mtimeNs: 1_796_000_000_123_456_789n };
const IS_ROOT = process.geteuid?.() === 0;
const NOBODY = 65534;

function stats(fields: { uid?: number; mode?: number; size?: number; file?: boolean }) {
  return { uid: fields.uid ?? 1000, mode: fields.mode ?? 0o100644, size: fields.size ?? 1000, isFile: () => fields.file ?? true };
}

describe('the code cache is trusted as code only when the bundle would be', () => {
  const cases: Array<[string, ReturnType<typeof stats>, string | undefined]> = [
    ['a plain file of the bundle owner, 0644', stats({}), undefined],
    ['0600', stats({ mode: 0o100600 }), undefined],
    ['not a regular file', stats({ file: false }), 'not a regular file'],
    ['owned by another user', stats({ uid: 1001 }), 'owned by uid 1001, the bundle by uid 1000'],
    ['group-writable', stats({ mode: 0o100664 }), 'writable by others (mode 664)'],
    ['world-writable', stats({ mode: 0o100646 }), 'writable by others (mode 646)'],
    ['empty', stats({ size: 0 }), '0 bytes'],
    ['larger than any cache of ours', stats({ size: 65 * 1024 * 1024 }), `${65 * 1024 * 1024} bytes`],
  ];
  for (const [name, cache, problem] of cases) {
    test(name, () => assert.equal(cacheTrustProblem(cache, 1000), problem));
  }
});

describe('who makes a new cache', () => {
  const cases: Array<[BootCache, number | undefined, boolean]> = [
    ['used', 0, false],
    ['missing', 0, true],
    ['rejected by V8', 0, true],
    ['refused: writable by others (mode 666)', 0, true],
    ['no digest line', 0, false],
    ['missing', 1000, false],
    ['rejected by V8', undefined, false],
  ];
  for (const [outcome, euid, expected] of cases) {
    test(`${outcome}, run by uid ${euid ?? 'unknown'}, the bundle root's: ${expected ? 'made' : 'not made'}`, () => assert.equal(shouldMakeCache(outcome, euid, 0), expected));
  }
});

describe('the cache file', () => {
  test('is named by V8 and by node\'s options: a unit that starts node with other flags keeps its own', () => {
    const plain = codeCachePath('/opt/m/bundle.cjs', [], '');
    assert.equal(plain, `/opt/m/bundle.cjs.v8-${process.versions.v8}.cache`);
    const heap = codeCachePath('/opt/m/bundle.cjs', [], '--max-old-space-size=200');
    const flag = codeCachePath('/opt/m/bundle.cjs', ['--max-old-space-size=200'], '');
    assert.notEqual(heap, plain);
    assert.notEqual(flag, plain);
    assert.notEqual(flag, heap);
    assert.equal(codeCachePath('/opt/m/bundle.cjs', [], '--max-old-space-size=200'), heap);
  });

  test('reads back as its data for the bundle it was made for, and for no other', async (t) => {
    const dir = await scratch(t);
    const path = join(dir, 'bundle.cjs.cache');
    const data = Buffer.from('compiled code, as far as this test cares');
    assert.equal(writeCodeCache(path, IDENTITY, () => data), true);
    const owner = (await stat(path)).uid;
    assert.deepEqual(readCodeCache(path, IDENTITY, owner), { kind: 'found', data });
    const another = { kind: 'refused', problem: 'made for another bundle' };
    assert.deepEqual(readCodeCache(path, { ...IDENTITY, digest: 'b'.repeat(64) }, owner), another);
    assert.deepEqual(readCodeCache(path, { ...IDENTITY, mtimeNs: IDENTITY.mtimeNs + 1n }, owner), another);
    assert.deepEqual(readCodeCache(path, { ...IDENTITY, size: IDENTITY.size + 1n }, owner), another);
    assert.deepEqual(readCodeCache(join(dir, 'none'), IDENTITY, owner), { kind: 'missing' });
    assert.equal((await stat(path)).mode & 0o777, 0o644);
  });

  test('is never read through a link, and a new cache replaces the link, not its target', async (t) => {
    const dir = await scratch(t);
    const secret = join(dir, 'secret');
    await writeFile(secret, 'not a cache');
    const path = join(dir, 'bundle.cjs.cache');
    await symlink(secret, path);
    const read = readCodeCache(path, IDENTITY, (await stat(secret)).uid);
    assert.deepEqual(read, { kind: 'refused', problem: 'ELOOP' });
    assert.equal(writeCodeCache(path, IDENTITY, () => Buffer.from('fresh')), true);
    assert.equal((await lstat(path)).isFile(), true);
    assert.equal(await readFile(secret, 'utf8'), 'not a cache');
  });

  test('in a folder that cannot take it: the write says so, throws nothing, and never asks V8 for the data', async (t) => {
    const dir = await scratch(t);
    let asked = false;
    const made = writeCodeCache(join(dir, 'no-such-folder', 'bundle.cjs.cache'), IDENTITY, () => {
      asked = true;
      return Buffer.from('x');
    });
    assert.equal(made, false);
    assert.equal(asked, false);
  });

  test('a failure while writing leaves no temp file behind and throws nothing', async (t) => {
    const dir = await scratch(t);
    const made = writeCodeCache(join(dir, 'bundle.cjs.cache'), IDENTITY, () => {
      throw new Error('V8 could not serialize');
    });
    assert.equal(made, false);
    assert.deepEqual(await readdir(dir), []);
  });
});

// The shipped start, end to end: bin/mirrorsync.js booting a copy of this build.
describe('bin/mirrorsync.js and its code cache', () => {
  test('the build ships a cache that the CLI uses', async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    const run = await runCopy(copy, ['--version']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.equal(run.cache, 'used');
  });

  test('without a build, bin says how to make one (exit 70), not a stack trace', async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    await rm(copy.bundle);
    const halfBuilt = await runCopyCli(copy, ['--version']);
    assert.equal(halfBuilt.code, 70);
    assert.match(halfBuilt.stderr, /^mirrorsync: \/.+\/dist\/bundle holds no build: run `npm run build` in \/.+\n$/);
    await rm(dirname(copy.bundle), { recursive: true });
    const none = await runCopyCli(copy, ['--version']);
    assert.equal(none.code, 70);
    assert.equal(none.stderr, halfBuilt.stderr);
  });

  test('a missing cache is made again by the first run, in full, and the next run uses it', async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    const built = (await stat(copy.cache)).size;
    await rm(copy.cache);
    const first = await runCopy(copy, ['--version']);
    assert.equal(first.code, 0);
    assert.equal(first.cache, 'missing');
    const remade = await stat(copy.cache);
    assert.equal(remade.mode & 0o022, 0);
    // Every function, as the build's: not only the few that --version called (a quarter of it).
    assert.ok(Math.abs(remade.size - built) < built * 0.01, `remade ${remade.size} bytes, the build's ${built}`);
    const second = await runCopy(copy, ['--version']);
    assert.equal(second.cache, 'used');
  });

  // V8 checks a cache against the source's length only: without the cache's own check, either
  // edit below would run the old bundle's compiled code (the help text unchanged).
  for (const digestLine of ['fresh', 'kept'] as const) {
    test(`a same-length edit of the bundle (${digestLine === 'fresh' ? 'a rebuild' : 'by hand, the digest line kept'}) does not run the old code`, async (t) => {
      const copy = await copyShippedCli(await scratch(t));
      const before = (await stat(copy.bundle)).size;
      await editBundle(copy, (code) => code.replace('Keep a software mirror in sync', 'KEEP A SOFTWARE MIRROR IN SYNC'), digestLine);
      assert.equal((await stat(copy.bundle)).size, before);
      const run = await runCopy(copy, ['--help']);
      assert.equal(run.code, 0);
      assert.equal(run.cache, 'refused: made for another bundle');
      assert.match(run.stdout, /KEEP A SOFTWARE MIRROR IN SYNC/);
      const again = await runCopy(copy, ['--help']);
      assert.equal(again.cache, 'used');
      assert.match(again.stdout, /KEEP A SOFTWARE MIRROR IN SYNC/);
    });
  }

  test('a cache V8 cannot use (damaged, or another node\'s) is rejected, the run goes on, and the cache is made again', async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    const cache = await readFile(copy.cache);
    const identityLength = cache.indexOf(0x0a) + 1;
    await writeFile(copy.cache, Buffer.concat([cache.subarray(0, identityLength), Buffer.alloc(4096, 0x5a)]));
    const run = await runCopy(copy, ['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.cache, 'rejected by V8');
    assert.equal((await runCopy(copy, ['--version'])).cache, 'used');
  });

  test('a run with other node options keeps its own cache and leaves the usual one alone', async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    const usual = await readFile(copy.cache);
    const options = { NODE_OPTIONS: '--max-old-space-size=200' };
    const first = await runCopy(copy, ['--version'], options);
    assert.equal(first.code, 0);
    assert.equal(first.cache, 'missing');
    assert.equal((await runCopy(copy, ['--version'], options)).cache, 'used');
    assert.deepEqual(await readFile(copy.cache), usual);
    assert.equal((await runCopy(copy, ['--version'])).cache, 'used');
  });

  test('a cache others may write is not used as code', async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    await chmod(copy.cache, 0o666);
    const run = await runCopy(copy, ['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.cache, 'refused: writable by others (mode 666)');
  });

  test('a cache owned by someone else is not used as code', { skip: IS_ROOT ? false : 'needs root to give the cache away' }, async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    await chown(copy.cache, NOBODY, NOBODY);
    const run = await runCopy(copy, ['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.cache, `refused: owned by uid ${NOBODY}, the bundle by uid 0`);
    // The bundle's owner (root here) replaces it with its own.
    assert.equal((await stat(copy.cache)).uid, 0);
  });

  test('a run by anyone but the bundle\'s owner never writes a cache (its owner would refuse it)', { skip: IS_ROOT ? false : 'needs root to give the bundle away' }, async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    await rm(copy.cache);
    await chown(copy.bundle, NOBODY, NOBODY);
    const run = await runCopy(copy, ['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.cache, 'missing');
    await assert.rejects(stat(copy.cache), { code: 'ENOENT' });
  });
});
