import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { privateFilePatterns, renderRsyncdConf } from '../../src/ops/rsyncd-conf.js';
import { makeTree, treeDigest, useLab, type Lab } from '../lab/index.js';
import { runCli } from '../support/cli.js';
import { cliPath } from '../support/paths.js';
import { startPrintedDaemon } from './printed-daemon.js';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;
const NOBODY = 65_534;

/** What a live mirror holds besides the tree: its state folder and rsync's leftovers. */
const PRIVATE = ['.mirrorsync/lock', '.mirrorsync/lock.pid', '.mirrorsync/.status.json.4242.a1b2c3.tmp'];
const PUBLIC_STATE = ['.mirrorsync/trace', '.mirrorsync/status.json', '.mirrorsync/last-run.log'];

async function liveMirror(lab: Lab): Promise<string> {
  const tree = lab.path('upstream');
  await makeTree(tree, { files: 40, seed: 'ops' });
  await mkdir(join(tree, '.mirrorsync'));
  for (const file of [...PRIVATE, ...PUBLIC_STATE]) await writeFile(join(tree, file), `${file}\n`);
  // rsync creates its partial dirs 0700, at the top and in any folder with an interrupted file.
  for (const dir of ['.~mirrorsync-partial~', 'dir-001/.~mirrorsync-partial~']) {
    await mkdir(join(tree, dir));
    await writeFile(join(tree, dir, 'file-00001.bin'), 'half a file');
    await chmod(join(tree, dir), 0o700);
  }
  return tree;
}

const isPrivate = (path: string): boolean => PRIVATE.includes(path) || path.split('/').includes('.~mirrorsync-partial~');

/** Syncs a downstream copy (holding a stale file) from the daemon and checks it equals the public tree. */
async function checkDownstream(lab: Lab, tree: string, port: number, module: string): Promise<void> {
  const downstream = lab.path(`downstream-${port}`);
  await mkdir(join(downstream, 'gone-upstream'), { recursive: true });
  await writeFile(join(downstream, 'gone-upstream', 'stale.bin'), 'stale');
  await run('rsync', ['-a', '--delete-after', '--timeout=30', `rsync://127.0.0.1:${port}/${module}/`, `${downstream}/`]);

  const expected = new Map([...(await treeDigest(tree))].filter(([path]) => !isPrivate(path)));
  const got = await treeDigest(downstream);
  assert.deepEqual(got, expected);
  for (const file of PUBLIC_STATE) assert.ok(got.has(file), `${file} is served`);
  assert.ok(got.size > 40);

  // Hidden even when asked for by name.
  await assert.rejects(run('rsync', ['--timeout=30', `rsync://127.0.0.1:${port}/${module}/.~mirrorsync-partial~/file-00001.bin`, lab.path('probe.bin')]));
  await assert.rejects(run('rsync', ['--timeout=30', `rsync://127.0.0.1:${port}/${module}/.mirrorsync/lock`, lab.path('probe.lock')]));
  // list = yes: the module shows in the daemon's listing, with its comment.
  const { stdout } = await run('rsync', ['--timeout=30', `rsync://127.0.0.1:${port}/`]);
  assert.match(stdout, new RegExp(`^${module}\\s+${module} mirror \\(mirrorsync\\)$`, 'm'));
}

describe('rsyncd-conf', () => {
  test('rsync --daemon runs what the CLI printed; another mirror syncs from it without the lock and partial dirs', async (t) => {
    const lab = await useLab(t);
    const tree = await liveMirror(lab);
    const name = `opslab${process.pid}`;
    const config = lab.path('sources.json');
    await writeFile(config, JSON.stringify({ name, sources: [{ name: 'master', url: 'rsync://master.example.org/sage/', master: true }] }));
    const { stdout: printed } = await run(process.execPath, [cliPath, 'rsyncd-conf', '--config', config, '--target', tree]);
    assert.match(printed, new RegExp(`^\\[${name}\\]$`, 'm'));
    assert.match(printed, /^read only = yes$/m);
    assert.doesNotMatch(printed, /^refuse options/m);
    const lockFile = /^lock file = (.+)$/m.exec(printed)?.[1];
    assert.ok(lockFile !== undefined);
    t.after(() => rm(lockFile, { force: true }));

    const confFile = lab.path('rsyncd.conf');
    await writeFile(confFile, printed);
    const daemon = await startPrintedDaemon(confFile, lab.path('rsyncd.out'));
    try {
      await checkDownstream(lab, tree, daemon.port, name);
    } finally {
      await daemon.stop();
    }
  });

  test('the form printed for a user that is not root works for one (no chroot, lock file next to the config)', async (t) => {
    const lab = await useLab(t);
    const tree = await liveMirror(lab);
    const runDir = lab.path('run');
    await mkdir(runDir);
    if (asRoot) {
      // The daemon runs as nobody here: it must reach the tree and write its lock file.
      await chmod(lab.root, 0o755);
      await chmod(runDir, 0o777);
    }
    const confFile = lab.path('rsyncd.conf');
    await writeFile(confFile, renderRsyncdConf({ name: 'plain', target: tree, configFile: lab.path('sources.json'), lockFile: join(runDir, 'rsyncd-plain.lock') }));
    const daemon = await startPrintedDaemon(confFile, lab.path('rsyncd.out'), asRoot ? { uid: NOBODY, gid: NOBODY } : {});
    try {
      await checkDownstream(lab, tree, daemon.port, 'plain');
    } finally {
      await daemon.stop();
    }
  });

  test('a target a sync would refuse is not published: a system folder inside /usr or /etc, a shared one, a link to one (exit 78, nothing printed)', async (t) => {
    const lab = await useLab(t);
    const config = lab.path('sources.json');
    await writeFile(config, JSON.stringify({ sources: [{ name: 'master', url: 'rsync://127.0.0.1:1/sage/', master: true }] }));
    await symlink('/etc', lab.path('etc-link'));
    const cases: Array<[string, RegExp]> = [
      ['/usr/local', /target \/usr\/local is inside the system directory \/usr: not published/],
      ['/etc/ssh', /target \/etc\/ssh is inside the system directory \/etc: not published/],
      ['/var/lib', /target \/var\/lib is a system directory; use a directory inside it: not published/],
      [lab.path('etc-link'), /leads to \/etc: target \/etc is a system directory: not published/],
    ];
    for (const [target, message] of cases) {
      const result = await runCli(['rsyncd-conf', '--config', config, '--target', target]);
      assert.equal(result.code, 78, `${target}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, message);
    }
  });

  test('values that rsyncd.conf would expand or split are escaped or refused', () => {
    const text = renderRsyncdConf({ name: 'm', target: '/srv/100%HOME%/ends in space ', configFile: '/etc/m.json', lockFile: '/run/l', root: { group: 'nogroup' } });
    assert.match(text, /^path = \/srv\/100%%HOME%%\/ends in space \/$/m);
    assert.match(text, /^use chroot = yes$/m);
    assert.throws(() => renderRsyncdConf({ name: 'm', target: '/srv/a\nread only = no', configFile: '/etc/m.json', lockFile: '/run/l' }), /control character/);
    assert.deepEqual(privateFilePatterns(), ['/.mirrorsync/lock', '/.mirrorsync/lock.pid', '/.mirrorsync/.*.tmp', '.~mirrorsync-partial~/***']);
  });
});
