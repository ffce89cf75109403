import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BAD_CASES, baseDoc } from '../config/cases.js';
import { buildNetwork, closedPort, treeDigest, useLab, type Lab } from '../lab/index.js';
import { runCli, startCli, type CliResult } from '../support/cli.js';
import { bytesUnder, patchConfig, processEnviron, publish, rsyncProcesses, v1Tree, V2, waitFor, type Status } from './support.js';

const SECRET = 'Zq7xS3cretPw0rd';

/** Every file under dir (recursively), for a leak search. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Fails naming where the secret shows, if it shows anywhere in the outputs or files given. */
async function assertNoSecret(secret: string, outputs: ReadonlyArray<[string, CliResult]>, files: readonly string[]): Promise<void> {
  const leaks: string[] = [];
  for (const [what, result] of outputs) {
    if (result.stdout.includes(secret)) leaks.push(`${what}: stdout`);
    if (result.stderr.includes(secret)) leaks.push(`${what}: stderr`);
  }
  for (const file of files) if ((await readFile(file, 'utf8')).includes(secret)) leaks.push(file);
  assert.deepEqual(leaks, [], `the password shows in: ${leaks.join(', ')}`);
}

/** Polls /proc while a run goes on: the argv and environment of every rsync talking to the port. */
function watchRsyncs(port: number, secret: string): { stop(): { seen: number; leaks: string[] } } {
  let seen = 0;
  const leaks = new Set<string>();
  const checked = new Set<number>();
  const timer = setInterval(() => {
    for (const [pid, argv] of rsyncProcesses(`127.0.0.1:${port}/`)) {
      if (checked.has(pid)) continue;
      checked.add(pid);
      seen += 1;
      if (argv.join(' ').includes(secret)) leaks.add(`argv of rsync ${pid}: ${argv.join(' ')}`);
      if (processEnviron(pid).includes(secret)) leaks.add(`environment of rsync ${pid}`);
    }
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return { seen, leaks: [...leaks] };
    },
  };
}

// Heavy (a daemon and CLI runs in every case): one case at a time.
describe('credentials never leak', () => {
  test('a password in the url: sync works, and the password shows in no output, file or rsync argv/environment', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      passwordInUrl: true,
      sources: [{ name: 'master', master: true, tree: v1Tree(40), auth: { user: 'mirror', password: SECRET }, bwlimitKBps: 150 }],
    });
    assert.match(await readFile(net.configPath, 'utf8'), new RegExp(`mirror:${SECRET}@`), 'the lab config does not carry the password in the url');
    const logFile = lab.path('mirrorsync.log');
    const metrics = lab.path('metrics.prom');
    const cfg = ['--config', net.configPath];
    const outputs: Array<[string, CliResult]> = [];
    const port = net.daemon('master').port;

    outputs.push(['dry-run', await runCli(['sync', ...cfg, '--dry-run', '--log-level', 'debug'])]);
    outputs.push(['dry-run --json', await runCli(['sync', ...cfg, '--dry-run', '--json'])]);
    const watch = watchRsyncs(port, SECRET);
    const first = await runCli(['sync', ...cfg, '--json', '--log-level', 'trace', '--log-file', logFile, '--metrics-file', metrics]);
    outputs.push(['sync', first]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as Status).result, 'synced');
    assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), await treeDigest(net.tree('master')));

    // An incremental run through the throttled daemon, so /proc can be read while rsync runs.
    await publish(net.tree('master'), { folder: 'v2', files: 60, bytesPerFile: 4096, at: V2 });
    const second = await runCli(['sync', ...cfg, '--json', '--log-level', 'debug']);
    outputs.push(['incremental sync', second]);
    assert.equal(second.code, 0, second.stderr);
    const watched = watch.stop();
    t.diagnostic(`${watched.seen} rsync processes inspected in /proc`);
    assert.ok(watched.seen >= 2, 'no rsync process was seen running');
    assert.deepEqual(watched.leaks, []);

    outputs.push(['sources rank', await runCli(['sources', 'rank', ...cfg, '--json', '--log-level', 'debug'])]);
    outputs.push(['sources rank (table)', await runCli(['sources', 'rank', ...cfg])]);
    outputs.push(['sources list', await runCli(['sources', 'list', ...cfg, '--json'])]);
    outputs.push(['sources list (table)', await runCli(['sources', 'list', ...cfg])]);
    outputs.push(['status', await runCli(['status', ...cfg, '--json'])]);
    outputs.push(['rsyncd-conf', await runCli(['rsyncd-conf', ...cfg])]);

    // Failure paths print URLs too: the same password towards a port where nothing listens, and a daemon that dies mid-run.
    const deadPort = await closedPort(lab);
    const deadConfig = await patchConfig(net.configPath, (doc) => {
      const source = doc.sources[0];
      if (source !== undefined) source['url'] = String(source['url']).replace(/:\d+\//, `:${deadPort}/`);
    }, lab.path('dead.json'));
    const dead = await runCli(['sync', '--config', deadConfig, '--json', '--log-level', 'debug']);
    outputs.push(['sync to a dead port', dead]);
    assert.equal(dead.code, 69, dead.stderr);
    await publish(net.tree('master'), { folder: 'v3', files: 200, bytesPerFile: 4096, at: new Date() });
    const bytesBefore = await bytesUnder(net.target);
    const dying = startCli(['sync', ...cfg, '--json', '--log-level', 'debug']);
    // 800 KB at 150 KiB/s: the kill lands mid-transfer.
    await waitFor('the transfer to be under way', async () => rsyncProcesses(net.target).size > 0 && (await bytesUnder(net.target)) - bytesBefore >= 100 * 1024);
    await net.daemon('master').kill('SIGKILL');
    const died = await dying.done;
    outputs.push(['sync from a daemon that dies', died]);
    assert.notEqual(died.code, 0, 'the daemon was killed after the run ended: nothing was tested');

    const stateFiles = await filesUnder(join(net.target, '.mirrorsync'));
    for (const name of ['status.json', 'history.json', 'last-run.log', 'trace']) {
      assert.ok(stateFiles.some((file) => file.endsWith(`/.mirrorsync/${name}`)), `no ${name} to search`);
    }
    await assertNoSecret(SECRET, outputs, [...stateFiles, logFile, metrics]);
    await assertNoSecret(encodeURIComponent(SECRET), outputs, await filesUnder(join(net.target, '.mirrorsync')));
  });

  test('a passwordFile source syncs, and its password shows nowhere either', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      passwordInUrl: false,
      sources: [{ name: 'master', master: true, tree: v1Tree(40), auth: { user: 'mirror', password: SECRET } }],
    });
    const config = JSON.parse(await readFile(net.configPath, 'utf8')) as { sources: Array<{ url: string; passwordFile?: string }> };
    assert.ok(config.sources[0]?.passwordFile !== undefined && !config.sources[0].url.includes(SECRET));
    const result = await runCli(['sync', '--config', net.configPath, '--json', '--log-level', 'debug']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as Status).source, 'master');
    assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), await treeDigest(net.tree('master')));
    const dry = await runCli(['sync', '--config', net.configPath, '--dry-run', '--full']);
    await assertNoSecret(SECRET, [['sync', result], ['dry-run', dry]], await filesUnder(join(net.target, '.mirrorsync')));
  });
});

/** A config over a port where nothing listens: nothing here should ever get as far as a probe. */
async function plainConfig(lab: Lab, patch: Record<string, unknown>): Promise<string> {
  const doc = {
    target: lab.path('mirror'),
    trace: 'zzz/timestamp.html',
    sources: [{ name: 'master', url: `rsync://127.0.0.1:${await closedPort(lab)}/${lab.module}/`, master: true }],
    ...patch,
  };
  const file = lab.path(`config-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(doc, null, 2));
  return file;
}

// Light (each CLI run stops at the config), but dozens of them: a few Node starts at a time.
describe('option injection and malformed input', { concurrency: 4 }, () => {
  const urls: ReadonlyArray<string> = ['-host::sage', '--rsh=sh', '-e sh host::sage', '--rsh=sh rsync://127.0.0.1/sage/'];
  for (const url of urls) {
    test(`url ${JSON.stringify(url)}: exit 78 naming sources[0].url, nothing created`, async (t) => {
      const lab = await useLab(t);
      const config = await plainConfig(lab, { sources: [{ name: 'master', url, master: true }] });
      const result = await runCli(['sync', '--config', config]);
      assert.equal(result.code, 78, result.stderr);
      assert.match(result.stderr, /sources\[0\]\.url: /);
      assert.ok(result.stderr.includes(config), 'the message does not name the file');
      assert.equal(existsSync(lab.path('mirror')), false);
    });
  }

  const argsCases: ReadonlyArray<readonly string[]> = [['--rsh=sh'], ['-e', 'sh'], ['--delete-before'], ['--checksum', '--rsync-path=sh -c id'], ['-avze', 'sh']];
  for (const args of argsCases) {
    test(`rsync.args ${JSON.stringify(args)}: exit 78 naming the argument`, async (t) => {
      const lab = await useLab(t);
      const config = await plainConfig(lab, { rsync: { args } });
      const result = await runCli(['sync', '--config', config]);
      assert.equal(result.code, 78, result.stderr);
      assert.match(result.stderr, /rsync\.args\[\d\]: /);
      assert.equal(existsSync(lab.path('mirror')), false);
    });
  }

  const targets: ReadonlyArray<{ argv: readonly string[]; created: string }> = [
    { argv: ['--target', '/'], created: '/.mirrorsync' },
    { argv: ['--target', '/etc'], created: '/etc/.mirrorsync' },
    { argv: ['--target', '/etc/mirror'], created: '/etc/mirror' },
    { argv: ['--target', 'relative/path'], created: 'relative' },
    { argv: ['--target', '-rf'], created: '-rf' },
    { argv: ['--target=-rf'], created: '-rf' },
    { argv: ['--target', '/tmp'], created: '/tmp/.mirrorsync' },
  ];
  for (const { argv, created } of targets) {
    test(`${argv.join(' ')}: refused with a clear message, nothing created`, async (t) => {
      const lab = await useLab(t);
      const config = await plainConfig(lab, {});
      const absolute = created.startsWith('/') ? created : lab.path(created);
      const existed = existsSync(absolute);
      const result = await runCli(['sync', '--config', config, ...argv], { cwd: lab.root });
      t.diagnostic(`exit ${result.code}: ${result.stderr.trim().split('\n')[0]}`);
      assert.ok(result.code === 78 || result.code === 64, `exit ${result.code}: ${result.stderr}`);
      assert.match(result.stderr, /target/i);
      if (!existed) assert.equal(existsSync(absolute), false, `${absolute} was created`);
      assert.equal(existsSync(lab.path('mirror')), false, 'the configured target was used instead');
    });
  }

  // A spread sample of the validator's table, through the real CLI this time.
  const sample = BAD_CASES.filter((bad, index) => index % 6 === 0 || bad.secret !== undefined || bad.path.endsWith('.url'));
  test('the sample holds at least 15 malformed files', () => {
    assert.ok(sample.length >= 15, `${sample.length} cases`);
  });
  for (const bad of sample) {
    test(`malformed sources.json through the CLI: ${bad.title}`, async (t) => {
      const lab = await useLab(t);
      const file = lab.path('sources.json');
      await writeFile(file, JSON.stringify(bad.doc, null, 2));
      const result = await runCli(['sync', '--config', file], { cwd: lab.root });
      assert.equal(result.code, 78, result.stderr);
      const lines = result.stderr.split('\n');
      assert.ok(lines.some((line) => line.includes(file)), `the message does not name ${file}:\n${result.stderr}`);
      const line = lines.find((candidate) => candidate.trimStart().startsWith(`${bad.path}: `) && (bad.match === undefined || bad.match.test(candidate)));
      assert.ok(line !== undefined, `no line names ${bad.path}${bad.match === undefined ? '' : ` matching ${String(bad.match)}`}:\n${result.stderr}`);
      if (bad.secret !== undefined) assert.equal(result.stderr.includes(bad.secret), false, 'the message shows the password');
      assert.equal(existsSync((baseDoc()['target'] as string)), false, 'the configured target was created');
    });
  }
});
