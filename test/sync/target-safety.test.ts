import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkTarget, checkTargetPath } from '../../src/sync/target-safety.js';

const refusedPaths: readonly [string, RegExp][] = [
  ['', /empty/],
  ['-rf', /must not begin with "-"/],
  ['--delete', /must not begin with "-"/],
  ['srv/mirror', /absolute/],
  ['./mirror', /absolute/],
  ['/srv/mirror\n/etc', /control characters/],
  ['/srv/../etc', /normal form \(\/etc\)/],
  ['/srv//mirror', /normal form/],
  ['/srv/./mirror', /normal form/],
  ['/', /must not be \//],
  ['/etc', /system directory/],
  ['/etc/', /system directory/],
  ['/etc/mirror', /inside the system directory \/etc/],
  ['/usr', /system directory/],
  ['/usr/local', /inside the system directory \/usr/],
  ['/usr/share/mirror', /inside the system directory \/usr/],
  ['/proc/self', /inside the system directory \/proc/],
  ['/sys', /system directory/],
  ['/dev/shm/mirror', /inside the system directory \/dev/],
  ['/boot', /system directory/],
  ['/bin', /system directory/],
  ['/sbin', /system directory/],
  ['/lib', /system directory/],
  ['/lib64', /system directory/],
  ['/run/mirror', /inside the system directory \/run/],
  ['/var/run/mirror', /inside the system directory \/var\/run/],
  ['/var', /system directory/],
  ['/var/lib', /system directory/],
  ['/var/log', /system directory/],
  ['/var/www', /system directory/],
  ['/home', /system directory/],
  ['/root', /system directory/],
  ['/tmp', /system directory/],
  ['/tmp/', /system directory/],
  ['/srv', /system directory/],
  ['/opt', /system directory/],
  ['/mnt', /system directory/],
];

const acceptedPaths: readonly string[] = [
  '/srv/mirror/sage',
  '/srv/mirror/sage/',
  '/var/www/mirror',
  '/var/lib/mirrors/debian',
  '/home/mirror/sage',
  '/tmp/mirrorsync-test',
  '/mnt/data/mirror',
  '/etcetera',
  '/usrdata/mirror',
];

describe('checkTargetPath', () => {
  for (const [path, message] of refusedPaths) {
    test(`refuses ${JSON.stringify(path)}`, () => {
      const result = checkTargetPath(path);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.message, message);
    });
  }
  for (const path of acceptedPaths) {
    test(`accepts ${path}`, () => assert.deepEqual(checkTargetPath(path), { ok: true }));
  }
});

describe('checkTarget on disk', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'mirrorsync-target-'));
    await mkdir(join(root, 'real', 'mirror'), { recursive: true });
    await symlink('/etc', join(root, 'to-etc'));
    await symlink('/', join(root, 'to-root'));
    await symlink(join(root, 'real'), join(root, 'to-real'));
    await symlink(join(root, 'nowhere'), join(root, 'dangling'));
    await writeFile(join(root, 'a-file'), 'x');
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('accepts an existing directory', () => assert.deepEqual(checkTarget(join(root, 'real', 'mirror')), { ok: true }));
  test('accepts a path that does not exist yet', () => assert.deepEqual(checkTarget(join(root, 'real', 'new', 'deeper')), { ok: true }));
  test('accepts a symlink to a safe directory', () => assert.deepEqual(checkTarget(join(root, 'to-real', 'mirror')), { ok: true }));

  test('refuses a symlink to /etc', () => {
    const result = checkTarget(join(root, 'to-etc'));
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /leads to \/etc: target \/etc is a system directory/);
  });
  test('refuses a path below a symlink to /etc that does not exist yet', () => {
    const result = checkTarget(join(root, 'to-etc', 'not-there-yet'));
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /inside the system directory \/etc/);
  });
  test('refuses a symlink to /', () => {
    const result = checkTarget(join(root, 'to-root'));
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /must not be \//);
  });
  test('refuses a dangling symlink', () => {
    const result = checkTarget(join(root, 'dangling'));
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /symlink to a missing path/);
  });
  test('refuses a regular file', () => {
    const result = checkTarget(join(root, 'a-file'));
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /not a directory/);
  });
  test('refuses a path below a regular file', () => {
    const result = checkTarget(join(root, 'a-file', 'mirror'));
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /ENOTDIR/);
  });
  test('still applies the path rules', () => {
    assert.equal(checkTarget('/etc').ok, false);
    assert.equal(checkTarget('relative/path').ok, false);
  });
});
