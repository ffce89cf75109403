import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { checkStateDir, ensureStateDir, STATE_ENTRIES } from '../../src/report/state-dir.js';

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mirrorsync-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('the state folder', () => {
  test('is created when missing, the target too, and a real one passes', async (t) => {
    const target = join(await scratch(t), 'mirror');
    await checkStateDir(target);
    await ensureStateDir(target);
    assert.ok((await lstat(join(target, '.mirrorsync'))).isDirectory());
    await writeFile(join(target, '.mirrorsync', 'status.json'), '{}');
    await mkdir(join(target, '.mirrorsync', 'incoming'));
    await writeFile(join(target, '.mirrorsync', 'unrelated-name'), '');
    await checkStateDir(target);
  });

  test('a link, a file or a FIFO in its place is refused and left as it is', async (t) => {
    const root = await scratch(t);
    await mkdir(join(root, 'elsewhere'));
    for (const [kind, make, what] of [
      ['link', (path: string) => symlink(join(root, 'elsewhere'), path), /is a symbolic link, not a directory/],
      ['file', (path: string) => writeFile(path, 'x'), /is a regular file, not a directory/],
      ['fifo', async (path: string) => execFileSync('mkfifo', [path]), /is a FIFO, not a directory/],
    ] as const) {
      const target = join(root, kind);
      await mkdir(target);
      await make(join(target, '.mirrorsync'));
      await assert.rejects(checkStateDir(target), { code: 'state.unsafe', message: what }, kind);
      await assert.rejects(ensureStateDir(target), { code: 'state.unsafe', message: what }, kind);
      assert.ok(!(await lstat(join(target, '.mirrorsync'))).isDirectory(), kind);
    }
  });

  test('each state entry of the wrong type is refused: a link, a FIFO, a folder for a file, a link for incoming/', async (t) => {
    const root = await scratch(t);
    await writeFile(join(root, 'victim'), 'do not touch');
    const entries = [...STATE_ENTRIES.keys(), '.status.json.123.abcdef.tmp'];
    for (const name of entries) {
      const target = join(root, name.replaceAll('.', '_'));
      await ensureStateDir(target);
      await symlink(join(root, 'victim'), join(target, '.mirrorsync', name));
      await assert.rejects(checkStateDir(target), { code: 'state.unsafe', message: new RegExp(`${name.replaceAll('.', '\\.')} is a symbolic link`) }, name);
    }
    const fifo = join(root, 'fifo-lock');
    await ensureStateDir(fifo);
    execFileSync('mkfifo', [join(fifo, '.mirrorsync', 'lock')]);
    await assert.rejects(checkStateDir(fifo), { code: 'state.unsafe', message: /lock is a FIFO, not a regular file/ });
    const folder = join(root, 'folder-status');
    await ensureStateDir(folder);
    await mkdir(join(folder, '.mirrorsync', 'status.json'));
    await assert.rejects(checkStateDir(folder), { code: 'state.unsafe', message: /status\.json is a directory, not a regular file/ });
    assert.equal(await readFile(join(root, 'victim'), 'utf8'), 'do not touch');
  });
});
