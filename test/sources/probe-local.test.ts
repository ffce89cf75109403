import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeLocal } from '../../src/sources/probe-local.js';

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mirrorsync-probe-local-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const OLD = new Date('2024-01-01T00:00:00Z');
const NEW = new Date('2024-03-04T05:06:07Z');

describe('probeLocal', () => {
  test('a missing target is empty, does not exist, and has no freshness', async (t) => {
    const dir = await scratch(t);
    assert.deepEqual(await probeLocal(join(dir, 'nope'), 'trace'), { exists: false, empty: true, freshness: null });
  });

  test('a target holding only .mirrorsync is empty', async (t) => {
    const dir = await scratch(t);
    await mkdir(join(dir, '.mirrorsync'));
    await writeFile(join(dir, '.mirrorsync', 'status.json'), '{}');
    assert.deepEqual(await probeLocal(dir, undefined), { exists: true, empty: true, freshness: null });
  });

  test('with a trace, freshness and identity come from the trace', async (t) => {
    const dir = await scratch(t);
    await mkdir(join(dir, 'zzz'));
    await writeFile(join(dir, 'zzz', 'timestamp.html'), '<pre>2022-05-18 15:25 GMT / 9.6 / 9.6 / aa / bb</pre>');
    const local = await probeLocal(dir, 'zzz/timestamp.html', { now: new Date('2024-01-01T00:00:00Z') });
    assert.equal(local.exists, true);
    assert.equal(local.empty, false);
    assert.equal(local.freshness?.at.toISOString(), '2022-05-18T15:25:00.000Z');
    assert.equal(local.freshness?.identity, '9.6 / 9.6 / aa / bb');
    assert.equal(local.error, undefined);
  });

  test('a missing trace gives no freshness and no error (the first sync has none)', async (t) => {
    const dir = await scratch(t);
    await writeFile(join(dir, 'file'), 'x');
    assert.deepEqual(await probeLocal(dir, 'project/trace/master'), { exists: true, empty: false, freshness: null });
  });

  test('a garbage trace gives no freshness and says why', async (t) => {
    const dir = await scratch(t);
    await writeFile(join(dir, 'trace'), 'hello\n');
    const local = await probeLocal(dir, 'trace');
    assert.equal(local.freshness, null);
    assert.equal(local.error, "local trace: no date found in the first line: 'hello'");
  });

  test('a trace over 64 KiB is unreadable, not read whole', async (t) => {
    const dir = await scratch(t);
    await writeFile(join(dir, 'trace'), `2016-04-27T15:39:01Z\n${'x'.repeat(1024 * 1024)}`);
    const local = await probeLocal(dir, 'trace');
    assert.equal(local.freshness, null);
    assert.match(local.error ?? '', /local trace unreadable: .*larger than 64 KiB/);
    await writeFile(join(dir, 'trace'), `2016-04-27T15:39:01Z\n${'x'.repeat(64 * 1024 - 21)}`);
    assert.equal((await probeLocal(dir, 'trace')).freshness?.at.toISOString(), '2016-04-27T15:39:01.000Z', 'exactly 64 KiB is read');
  });

  test('a trace that is a symlink, or under a symlinked folder, is never read through', async (t) => {
    const dir = await scratch(t);
    const outside = await scratch(t);
    await writeFile(join(outside, 'secret'), '2016-04-27T15:39:01Z secret-in-a-file-outside\n');
    await symlink(join(outside, 'secret'), join(dir, 'trace'));
    const linked = await probeLocal(dir, 'trace');
    assert.equal(linked.freshness, null);
    assert.match(linked.error ?? '', /is a symbolic link/);
    assert.ok(!JSON.stringify(linked).includes('secret-in-a-file-outside'));
    await mkdir(join(dir, 'real'));
    await symlink(outside, join(dir, 'zzz'));
    const folder = await probeLocal(dir, 'zzz/secret');
    assert.equal(folder.freshness, null);
    assert.match(folder.error ?? '', /zzz is a symbolic link, not a directory/);
  });

  test('without a trace, the newest top-level mtime except .mirrorsync, in whole seconds', async (t) => {
    const dir = await scratch(t);
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'a'), 'a');
    await symlink('a', join(dir, 'link'));
    await mkdir(join(dir, '.mirrorsync'));
    await utimes(join(dir, 'a'), OLD, OLD);
    await utimes(join(dir, 'sub'), new Date(NEW.getTime() + 400), new Date(NEW.getTime() + 400));
    // The link's own mtime counts (like rsync's listing), and .mirrorsync, just created, does not.
    const { lutimes } = await import('node:fs/promises');
    await lutimes(join(dir, 'link'), OLD, OLD);
    const local = await probeLocal(dir, undefined);
    assert.equal(local.empty, false);
    assert.equal(local.freshness?.at.toISOString(), NEW.toISOString());
  });

  test('a target that is a file is reported, not thrown', async (t) => {
    const dir = await scratch(t);
    await writeFile(join(dir, 'file'), 'x');
    const local = await probeLocal(join(dir, 'file'), undefined);
    assert.equal(local.exists, false);
    assert.equal(local.freshness, null);
    assert.match(local.error ?? '', /cannot read the target/);
  });
});
