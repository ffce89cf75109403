import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MirrorsyncError } from '../../src/errors.js';
import { oldestRequest, pendingTriggers, recordTrigger, takeTriggers, triggersDir } from '../../src/schedule/triggers.js';
import { temporaryFolders } from '../support/temp-dirs.js';

const newDir = temporaryFolders('mirrorsync-triggers-');

describe('sync requests in the state folder', () => {
  test('each trigger is one file; a run takes all that wait, and only those', async () => {
    const target = await newDir();
    for (let i = 0; i < 20; i += 1) assert.equal(await recordTrigger(target, new Date(1_700_000_000_000 + i)), true);
    assert.equal((await pendingTriggers(target)).length, 20);
    assert.equal(oldestRequest(await pendingTriggers(target))?.getTime(), 1_700_000_000_000);
    assert.equal(await takeTriggers(target), 20);
    assert.deepEqual(await pendingTriggers(target), []);
    // A request after the run took its own is still there for the next run.
    await recordTrigger(target, new Date());
    assert.equal((await pendingTriggers(target)).length, 1);
  });

  test('triggers racing with a run that takes them: none is lost, none counted twice', async () => {
    const target = await newDir();
    await recordTrigger(target, new Date());
    let recorded = 1;
    let taken = 0;
    const writers = Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 25; i += 1) {
          await recordTrigger(target, new Date());
          recorded += 1;
        }
      }),
    );
    const takers = (async () => {
      for (let i = 0; i < 30; i += 1) taken += await takeTriggers(target);
    })();
    await Promise.all([writers, takers]);
    taken += await takeTriggers(target);
    assert.equal(taken, recorded);
    assert.equal(recorded, 101);
  });

  test('a target that does not exist yet gets no folder (it is due anyway)', async () => {
    const target = join(await newDir(), 'not-yet');
    assert.equal(await recordTrigger(target, new Date()), false);
    await assert.rejects(readdir(target), { code: 'ENOENT' });
    assert.deepEqual(await pendingTriggers(target), []);
  });

  test('a symlinked .mirrorsync or triggers folder is refused, and nothing is written through it', async () => {
    const outside = await newDir();
    const target = await newDir();
    await symlink(outside, join(target, '.mirrorsync'));
    await assert.rejects(recordTrigger(target, new Date()), (error: unknown) => error instanceof MirrorsyncError && error.code === 'state.unsafe');
    assert.deepEqual(await readdir(outside), []);

    const second = await newDir();
    await mkdir(join(second, '.mirrorsync'));
    await symlink(outside, triggersDir(second));
    await assert.rejects(recordTrigger(second, new Date()), { code: 'state.unsafe' });
    await assert.rejects(pendingTriggers(second), { code: 'state.unsafe' });
    assert.deepEqual(await readdir(outside), []);
  });

  test('files that are not requests are ignored and left alone', async () => {
    const target = await newDir();
    await recordTrigger(target, new Date());
    await writeFile(join(triggersDir(target), 'README'), 'not a request');
    assert.equal(await takeTriggers(target), 1);
    assert.equal(await readFile(join(triggersDir(target), 'README'), 'utf8'), 'not a request');
  });
});
