import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { prepareStaging, stageTraceCopy, stagingDir, TRACE_COPY_MAX_AGE_MS, usableTraceCopy } from '../../src/sync/staged-trace.js';

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mirrorsync-staged-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// Not valid UTF-8 at the end: the trace goes in byte for byte, not decoded and re-encoded.
const BYTES = Buffer.concat([Buffer.from('Sat Jun  1 12:00:00 UTC 2025\n'), Buffer.from([0xff, 0xfe, 0x0a])]);
const COPY = { bytes: BYTES, mtimeMs: Date.parse('2025-06-01T12:00:00Z'), readAtMs: 1_000_000 };

describe("a probe's copy of the trace", () => {
  test('stands for the source only while recent: a copy older than the limit is fetched again', () => {
    assert.equal(usableTraceCopy(COPY, COPY.readAtMs), COPY);
    assert.equal(usableTraceCopy(COPY, COPY.readAtMs + TRACE_COPY_MAX_AGE_MS), COPY);
    assert.equal(usableTraceCopy(COPY, COPY.readAtMs + TRACE_COPY_MAX_AGE_MS + 1), undefined);
    assert.equal(usableTraceCopy(undefined, COPY.readAtMs), undefined);
  });

  test('is staged with its exact bytes, the source mtime and mode 0644 whatever the umask', async (t) => {
    const target = await scratch(t);
    await prepareStaging(target, 'zzz/timestamp.html');
    const umask = process.umask(0o077);
    try {
      await stageTraceCopy(target, 'zzz/timestamp.html', COPY);
    } finally {
      process.umask(umask);
    }
    const path = join(stagingDir(target), 'zzz/timestamp.html');
    assert.deepEqual(await readFile(path), BYTES);
    const info = await lstat(path);
    assert.equal(info.mtimeMs, COPY.mtimeMs);
    assert.equal(info.mode & 0o7777, 0o644, 'readable by the web server; no setuid, setgid, sticky, group or world write');
  });

  test('never writes through a link planted where it goes, nor over a file already there', async (t) => {
    const target = await scratch(t);
    const outside = join(await scratch(t), 'victim');
    await writeFile(outside, 'untouched');
    await prepareStaging(target, 'trace');
    await symlink(outside, join(stagingDir(target), 'trace'));
    await assert.rejects(stageTraceCopy(target, 'trace', COPY), /EEXIST/);
    assert.equal(await readFile(outside, 'utf8'), 'untouched');
    await mkdir(join(stagingDir(target), 'sub'), { recursive: true });
    await writeFile(join(stagingDir(target), 'sub', 'trace'), 'old');
    await assert.rejects(stageTraceCopy(target, 'sub/trace', COPY), /EEXIST/);
  });
});
