import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { checkFoldersOnPath, readSmallFile } from '../../src/util/no-follow.js';

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mirrorsync-nofollow-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('readSmallFile', () => {
  test('reads a regular file up to the cap, and says when there is none', async (t) => {
    const dir = await scratch(t);
    await writeFile(join(dir, 'f'), 'x'.repeat(100));
    const stamp = new Date('2025-03-04T05:06:07Z');
    await utimes(join(dir, 'f'), stamp, stamp);
    const read = await readSmallFile(join(dir, 'f'), 100);
    assert.equal(read.kind, 'ok');
    assert.deepEqual(read.kind === 'ok' ? [read.text, read.bytes.toString('latin1'), read.mtimeMs] : [], ['x'.repeat(100), 'x'.repeat(100), stamp.getTime()]);
    assert.deepEqual(await readSmallFile(join(dir, 'missing'), 100), { kind: 'missing' });
    assert.deepEqual(await readSmallFile(join(dir, 'f', 'below-a-file'), 100), { kind: 'missing' });
  });

  test('refuses a bigger file without reading it whole', async (t) => {
    const dir = await scratch(t);
    await writeFile(join(dir, 'f'), 'x'.repeat(101));
    assert.deepEqual(await readSmallFile(join(dir, 'f'), 100), { kind: 'refused', problem: 'is larger than 100 bytes' });
  });

  test('refuses links (to a secret, to /dev/zero), FIFOs, devices and folders, naming the type and never the content', async (t) => {
    const dir = await scratch(t);
    await writeFile(join(dir, 'secret'), 'secret-words-7f3a');
    await symlink(join(dir, 'secret'), join(dir, 'to-secret'));
    await symlink('/dev/zero', join(dir, 'to-zero'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    await mkdir(join(dir, 'folder'));
    const cases: [string, RegExp][] = [
      ['to-secret', /is a symbolic link, not a regular file/],
      ['to-zero', /is a symbolic link/],
      ['fifo', /is a FIFO, not a regular file/],
      ['folder', /is a directory, not a regular file/],
    ];
    if (process.getuid?.() === 0) {
      execFileSync('mknod', [join(dir, 'null-device'), 'c', '1', '3']);
      cases.push(['null-device', /is a character device/]);
    }
    for (const [name, problem] of cases) {
      const read = await readSmallFile(join(dir, name), 64 * 1024);
      assert.equal(read.kind, 'refused', name);
      assert.match(read.kind === 'refused' ? read.problem : '', problem, name);
      assert.ok(!JSON.stringify(read).includes('secret-words'), name);
    }
  });
});

describe('checkFoldersOnPath', () => {
  test('accepts real folders, tells a missing one from a link, a file or a climb out', async (t) => {
    const dir = await scratch(t);
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await symlink('/etc', join(dir, 'a', 'link'));
    await writeFile(join(dir, 'a', 'file'), '');
    assert.deepEqual(await checkFoldersOnPath(dir, 'a/b/trace'), { ok: true });
    assert.deepEqual(await checkFoldersOnPath(dir, 'a/link'), { ok: true }, 'the last component is not a folder on the way');
    const link = await checkFoldersOnPath(dir, 'a/link/passwd');
    assert.ok(!link.ok && !link.missing && /a\/link is a symbolic link, not a directory/.test(link.problem));
    const file = await checkFoldersOnPath(dir, 'a/file/x');
    assert.ok(!file.ok && !file.missing && /is a regular file/.test(file.problem));
    const missing = await checkFoldersOnPath(dir, 'a/c/d/trace');
    assert.ok(!missing.ok && missing.missing);
    const climb = await checkFoldersOnPath(dir, '../x/trace');
    assert.ok(!climb.ok && !climb.missing);
  });
});
