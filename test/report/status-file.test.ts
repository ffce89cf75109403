import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  finishRunStatus,
  inspectStatus,
  parseRunStatus,
  readStatus,
  startRunStatus,
  statusPath,
  writeStatus,
} from '../../src/report/status-file.js';
import { temporaryFolders } from '../support/temp-dirs.js';

describe('status.json', () => {
  const newTarget = temporaryFolders('mirrorsync-status-');

  const running = startRunStatus(null, { mode: 'initial', startedAt: new Date('2026-11-24T02:00:00Z'), pid: 7, host: 'mirror1' });
  const done = finishRunStatus(running, {
    result: 'failed',
    endedAt: new Date('2026-11-24T02:05:00Z'),
    tried: [
      { name: 'mit', exitCode: 30, error: 'timeout', attempts: 3 },
      { name: 'master', exitCode: null, error: 'killed after 600 s' },
    ],
    error: { code: 'sync.failed', message: 'every usable source was tried and failed' },
  });

  test('round-trips a running and a finished status, at .mirrorsync/status.json', async () => {
    const target = await newTarget();
    for (const status of [running, done]) {
      await writeStatus(target, status);
      assert.deepEqual(await readStatus(target), status);
    }
    assert.equal(statusPath(target), join(target, '.mirrorsync', 'status.json'));
    assert.deepEqual(JSON.parse(await readFile(statusPath(target), 'utf8')), done);
    assert.deepEqual(await readdir(join(target, '.mirrorsync')), ['status.json']);
  });

  test('a missing file is null, and inspect says missing', async () => {
    const target = await newTarget();
    assert.equal(await readStatus(target), null);
    assert.deepEqual(await inspectStatus(target), { kind: 'missing' });
  });

  test('a corrupt or wrongly shaped file is null, and inspect says why', async () => {
    const target = await newTarget();
    await mkdir(join(target, '.mirrorsync'));
    const cases: Array<[string, RegExp]> = [
      ['{"result": "synced", "mo', /not JSON/],
      ['[]', /not an object/],
      [JSON.stringify({ ...done, result: 'ok' }), /unknown result/],
      [JSON.stringify({ ...done, tried: [{ name: 'mit' }] }), /field tried/],
      [JSON.stringify({ ...done, startedAt: 'yesterday' }), /field startedAt is invalid/],
      [JSON.stringify({ ...done, lastSuccessAt: undefined }), /field lastSuccessAt is missing/],
    ];
    for (const [text, why] of cases) {
      await writeFile(statusPath(target), text);
      assert.equal(await readStatus(target), null, text);
      const read = await inspectStatus(target);
      assert.equal(read.kind, 'invalid', text);
      if (read.kind === 'invalid') assert.match(read.problem, why);
    }
  });

  test('a status that cannot be written is a local failure', async () => {
    const target = await newTarget();
    await writeFile(join(target, 'file'), 'a file where a folder should be');
    await assert.rejects(writeStatus(join(target, 'file', 'mirror'), running), { code: 'sync.local', message: /cannot (write|create) / });
  });

  test('a file where the state folder belongs is refused as unsafe, and left alone', async () => {
    const target = await newTarget();
    await writeFile(join(target, '.mirrorsync'), 'a file where the folder should be');
    await assert.rejects(writeStatus(target, running), { code: 'state.unsafe', message: /\.mirrorsync is a regular file, not a directory/ });
    assert.equal(await readFile(join(target, '.mirrorsync'), 'utf8'), 'a file where the folder should be');
  });

  test('parseRunStatus accepts fields added by later versions', () => {
    assert.equal(typeof parseRunStatus({ ...done, newField: 1 }), 'object');
  });
});
