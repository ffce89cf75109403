import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { writeFileAtomic } from '../../src/report/atomic-write.js';
import { temporaryFolders } from '../support/temp-dirs.js';

// Reads the file in a tight loop on another thread until told to stop, and counts the reads
// that were not a whole JSON document (a half-written file, or no file at all).
const READER = `
const { readFileSync } = require('node:fs');
const { workerData, parentPort } = require('node:worker_threads');
const stop = new Int32Array(workerData.stop);
let reads = 0, bad = 0, firstBad = null;
while (Atomics.load(stop, 0) === 0) {
  try { JSON.parse(readFileSync(workerData.path, 'utf8')); } catch (e) { bad++; firstBad ??= String(e); }
  reads++;
}
parentPort.postMessage({ reads, bad, firstBad });
`;

describe('writeFileAtomic', () => {
  const newDir = temporaryFolders('mirrorsync-atomic-');

  test('a reader never sees a half-written file while 200 writes race, and no temp file is left', async () => {
    const dir = await newDir();
    const path = join(dir, 'status.json');
    const body = (i: number): string => JSON.stringify({ i, padding: 'p'.repeat(200_000 + i * 97) });
    await writeFileAtomic(path, body(-1));
    const stop = new SharedArrayBuffer(4);
    const reader = new Worker(READER, { eval: true, workerData: { path, stop } });
    const report = new Promise<{ reads: number; bad: number; firstBad: string | null }>((resolve, reject) => {
      reader.once('message', resolve).once('error', reject);
    });
    try {
      await Promise.all(Array.from({ length: 200 }, (_, i) => writeFileAtomic(path, body(i))));
    } finally {
      Atomics.store(new Int32Array(stop), 0, 1);
    }
    const { reads, bad, firstBad } = await report;
    assert.ok(reads > 10, `the reader ran (${reads} reads)`);
    assert.equal(bad, 0, `${bad} of ${reads} reads were not whole: ${firstBad}`);
    assert.deepEqual(await readdir(dir), ['status.json']);
    assert.ok(JSON.parse(await readFile(path, 'utf8')).i >= 0);
  });

  test('replaces the content and applies the mode exactly, whatever the umask', async () => {
    const dir = await newDir();
    const path = join(dir, 'metrics.prom');
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new', 0o666);
    assert.equal(await readFile(path, 'utf8'), 'new');
    assert.equal((await stat(path)).mode & 0o777, 0o666);
    await writeFileAtomic(path, 'newer', 0o600);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  test('when the rename fails, the error is thrown, the temp file removed and the old entry kept', async () => {
    const dir = await newDir();
    const path = join(dir, 'taken');
    await mkdir(path);
    await writeFile(join(path, 'inside'), 'x');
    await assert.rejects(writeFileAtomic(path, 'data'), (error: NodeJS.ErrnoException) => typeof error.code === 'string');
    assert.deepEqual(await readdir(dir), ['taken']);
    assert.deepEqual(await readdir(path), ['inside']);
  });

  test('a missing folder fails with ENOENT and creates nothing', async () => {
    const dir = await newDir();
    await assert.rejects(writeFileAtomic(join(dir, 'nope', 'file'), 'data'), { code: 'ENOENT' });
    assert.deepEqual(await readdir(dir), []);
  });
});
