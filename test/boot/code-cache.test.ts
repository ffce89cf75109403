import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { cacheTrustProblem, readCodeCache, writeCodeCache } from '../../src/boot/code-cache.js';
import { copyShippedCli, editBundle, runCli, runCopy } from './boot-copy.js';

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mirrorsync-boot-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const DIGEST = 'a'.repeat(64);
const OTHER_DIGEST = 'b'.repeat(64);
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
    ['no bigger than its digest', stats({ size: 64 }), '64 bytes'],
    ['larger than any cache of ours', stats({ size: 65 * 1024 * 1024 }), `${65 * 1024 * 1024} bytes`],
  ];
  for (const [name, cache, problem] of cases) {
    test(name, () => assert.equal(cacheTrustProblem(cache, { uid: 1000 }), problem));
  }
});

describe('reading and writing the code cache', () => {
  test('a written cache reads back as its data, for its digest only', async (t) => {
    const dir = await scratch(t);
    const path = join(dir, 'bundle.cjs.cache');
    const data = Buffer.from('compiled code, as far as this test cares');
    assert.equal(writeCodeCache(path, DIGEST, () => data), true);
    const owner = { uid: (await stat(path)).uid };
    assert.deepEqual(readCodeCache(path, DIGEST, owner), { kind: 'found', data });
    assert.deepEqual(readCodeCache(path, OTHER_DIGEST, owner), { kind: 'refused', problem: 'made for another bundle' });
    assert.deepEqual(readCodeCache(join(dir, 'none'), DIGEST, owner), { kind: 'missing' });
    assert.equal((await stat(path)).mode & 0o777, 0o644);
  });

  test('a link in the cache\'s place is never read through, and a new cache replaces the link, not its target', async (t) => {
    const dir = await scratch(t);
    const secret = join(dir, 'secret');
    await writeFile(secret, DIGEST + 'not a cache');
    const path = join(dir, 'bundle.cjs.cache');
    await symlink(secret, path);
    const read = readCodeCache(path, DIGEST, { uid: (await stat(secret)).uid });
    assert.equal(read.kind, 'refused');
    assert.equal(writeCodeCache(path, DIGEST, () => Buffer.from('fresh')), true);
    assert.equal((await lstat(path)).isFile(), true);
    assert.equal(await readFile(secret, 'utf8'), DIGEST + 'not a cache');
  });

  test('a folder that cannot take the cache: the write says so, throws nothing, and never asks V8 for the data', async (t) => {
    const dir = await scratch(t);
    let asked = false;
    const made = writeCodeCache(join(dir, 'no-such-folder', 'bundle.cjs.cache'), DIGEST, () => {
      asked = true;
      return Buffer.from('x');
    });
    assert.equal(made, false);
    assert.equal(asked, false);
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
    await rm(dirname(copy.bundle), { recursive: true });
    const run = await runCli(copy.bin, ['--version']);
    assert.equal(run.code, 70);
    assert.match(run.stderr, /^mirrorsync: \/.+\/dist\/bundle holds no build: run `npm run build` in \/.+\n$/);
  });

  test('a missing cache is made again by the first run, and the next run uses it', async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    await rm(copy.cache);
    const first = await runCopy(copy, ['--version']);
    assert.equal(first.code, 0);
    assert.equal(first.cache, 'missing');
    assert.equal((await stat(copy.cache)).mode & 0o022, 0);
    const second = await runCopy(copy, ['--version']);
    assert.equal(second.cache, 'used');
  });

  // V8 checks a cache against the source's length only: without the digest, a bundle rebuilt to
  // the same length would run the old bundle's compiled code.
  test('a cache made for another bundle of the same length is refused: the new code runs', async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    const before = (await readFile(copy.bundle)).length;
    await editBundle(copy, (code) => code.replace('Keep a software mirror in sync', 'KEEP A SOFTWARE MIRROR IN SYNC'));
    assert.equal((await readFile(copy.bundle)).length, before);
    const run = await runCopy(copy, ['--help']);
    assert.equal(run.code, 0);
    assert.equal(run.cache, 'refused: made for another bundle');
    assert.match(run.stdout, /KEEP A SOFTWARE MIRROR IN SYNC/);
    const again = await runCopy(copy, ['--help']);
    assert.equal(again.cache, 'used');
    assert.match(again.stdout, /KEEP A SOFTWARE MIRROR IN SYNC/);
  });

  test('a cache V8 cannot use (another node, or damaged) is rejected, the run goes on, and the cache is made again', async (t) => {
    const copy = await copyShippedCli(await scratch(t));
    const cache = await readFile(copy.cache);
    await writeFile(copy.cache, Buffer.concat([cache.subarray(0, 64), Buffer.alloc(4096, 0x5a)]));
    const run = await runCopy(copy, ['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.cache, 'rejected by V8');
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
