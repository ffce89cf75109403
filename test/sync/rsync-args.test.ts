import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { isMirrorsyncError, type ErrorCode } from '../../src/errors.js';
import { formatRsyncUrl, parseRsyncAddress } from '../../src/sources/address.js';
import {
  buildRsyncArgs,
  findUnsafeRsyncArgs,
  maxDeleteFor,
  PARTIAL_DIR,
  STATE_DIR,
  type RsyncPassPlan,
} from '../../src/sync/rsync-args.js';
import { classifyRsyncExit } from '../../src/sync/rsync-exit.js';
import { startDaemon, treeDigest, useLab } from '../lab/index.js';

const base: RsyncPassPlan = {
  kind: 'bulk',
  sourceUrl: 'rsync://mirror.example.org/sage',
  target: '/srv/mirror/sage',
  trace: 'zzz/timestamp.html',
  maxDelete: 40,
  extraArgs: ['--hard-links', '--exclude=*.iso'],
  timeoutSeconds: 600,
  connectTimeoutSeconds: 30,
  usesPassword: false,
};

const plan = (changes: Partial<RsyncPassPlan> = {}): RsyncPassPlan => ({ ...base, ...changes });

function assertThrowsCode(build: () => unknown, code: ErrorCode, message?: RegExp): void {
  assert.throws(build, (error: unknown) => {
    assert.ok(isMirrorsyncError(error), String(error));
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

describe('buildRsyncArgs', () => {
  test('a bulk pass, in full', () => {
    assert.deepEqual(buildRsyncArgs(base), [
      '--filter=P /.mirrorsync',
      '--exclude=/.mirrorsync',
      '--exclude=/zzz/timestamp.html',
      '--hard-links',
      '--exclude=*.iso',
      '--recursive', '--links', '--perms', '--times',
      '--no-owner', '--no-group', '--no-devices', '--no-specials', '--no-super',
      '--chmod=ug-s,a-t,o-w',
      '--safe-links',
      '--delete-after',
      '--delay-updates',
      '--partial-dir=.~mirrorsync-partial~',
      '--timeout=600',
      '--contimeout=30',
      '--max-delete=40',
      '--no-motd',
      '--stats',
      '--',
      'rsync://mirror.example.org/sage/',
      '/srv/mirror/sage/',
    ]);
  });

  // flag -> present in [bulk, trace, verify]
  const presence: readonly [string, boolean, boolean, boolean][] = [
    ['--recursive', true, false, true],
    ['--no-recursive', false, true, false],
    ['--links', true, false, true],
    ['--copy-links', false, true, false],
    ['--max-size=65536', false, true, false],
    ['--safe-links', true, true, true],
    ['--no-owner', true, true, true],
    ['--no-group', true, true, true],
    ['--no-devices', true, true, true],
    ['--no-specials', true, true, true],
    ['--no-super', true, true, true],
    ['--chmod=ug-s,a-t,o-w', true, true, true],
    [`--filter=P /${STATE_DIR}`, true, true, true],
    ['--perms', true, true, true],
    ['--times', true, true, true],
    ['--delete-after', true, false, true],
    ['--delay-updates', true, true, true],
    [`--partial-dir=${PARTIAL_DIR}`, true, true, true],
    ['--timeout=600', true, true, true],
    ['--contimeout=30', true, true, true],
    [`--exclude=/${STATE_DIR}`, true, true, true],
    [`--exclude=/${STATE_DIR}/`, false, false, false],
    ['--exclude=/zzz/timestamp.html', true, false, true],
    ['--max-delete=40', true, false, true],
    ['--checksum', false, false, true],
    ['--no-motd', true, true, true],
    ['--stats', true, true, true],
    ['--out-format=%i %n%L', false, false, false],
    ['--hard-links', true, true, true],
    ['--dry-run', false, false, false],
    ['--info=progress2', false, false, false],
    ['--password-file=-', false, false, false],
    ['-a', false, false, false],
    ['--archive', false, false, false],
    ['--ignore-errors', false, false, false],
  ];
  for (const [flag, ...expected] of presence) {
    test(`${flag} is ${expected.map((present) => (present ? 'in' : 'out')).join('/')} for bulk/trace/verify`, () => {
      const kinds = ['bulk', 'trace', 'verify'] as const;
      assert.deepEqual(kinds.map((kind) => buildRsyncArgs(plan({ kind })).includes(flag)), expected);
    });
  }

  test('rsync writes its per-file log into the given file itself; nothing per file reaches stdout', () => {
    for (const kind of ['bulk', 'trace', 'verify'] as const) {
      const args = buildRsyncArgs(plan({ kind, logFile: '/srv/mirror/sage/.mirrorsync/.last-run.log.1.ab.tmp' }));
      assert.ok(args.includes('--log-file=/srv/mirror/sage/.mirrorsync/.last-run.log.1.ab.tmp'));
      assert.ok(args.includes('--log-file-format=%i %n%L'));
      assert.ok(args.indexOf('--log-file-format=%i %n%L') < args.indexOf('--'));
      assert.equal(args.some((arg) => arg.startsWith('--out-format') || arg === '-v' || arg === '--verbose'), false);
    }
    assert.throws(() => buildRsyncArgs(plan({ logFile: 'relative.log' })), /absolute/);
    assert.throws(() => buildRsyncArgs(plan({ logFile: '/tmp/a\nb' })), /control/);
  });

  test('never an explicit exclude of the partial dir: it would keep removed directories alive', () => {
    for (const kind of ['bulk', 'trace', 'verify'] as const) {
      const args = buildRsyncArgs(plan({ kind }));
      assert.deepEqual(args.filter((arg) => arg.includes(PARTIAL_DIR) && arg !== `--partial-dir=${PARTIAL_DIR}`), []);
      assert.ok(!args.some((arg) => (arg.startsWith('--filter') && arg !== `--filter=P /${STATE_DIR}`) || arg.includes('.~tmp~')));
    }
  });

  test('options come before `--`, and `--` before exactly two operands', () => {
    for (const kind of ['bulk', 'trace', 'verify'] as const) {
      const args = buildRsyncArgs(plan({ kind, dryRun: true, progress: true, usesPassword: true }));
      assert.equal(args.indexOf('--'), args.length - 3);
      assert.ok(args.slice(0, -3).every((arg) => arg.startsWith('-')));
      assert.ok(args.slice(-2).every((arg) => !arg.startsWith('-')));
    }
  });

  test('our filter rules come before the user\'s (first match wins), our options after them (last wins)', () => {
    const args = buildRsyncArgs(plan({ extraArgs: ['--include=*', '--bwlimit=100'] }));
    assert.ok(args.indexOf('--exclude=/.mirrorsync') < args.indexOf('--include=*'));
    assert.ok(args.indexOf('--filter=P /.mirrorsync') < args.indexOf('--include=*'));
    assert.ok(args.indexOf('--exclude=/zzz/timestamp.html') < args.indexOf('--include=*'));
    assert.ok(args.indexOf('--bwlimit=100') < args.indexOf('--timeout=600'));
  });

  test('what a source may never decide comes after the user\'s options, so a user -a or --chmod cannot undo it', () => {
    const args = buildRsyncArgs(plan({ extraArgs: ['-a', '--chmod=u+s,o+w'] }));
    for (const flag of ['--no-owner', '--no-group', '--no-devices', '--no-specials', '--no-super', '--chmod=ug-s,a-t,o-w', '--safe-links']) {
      assert.ok(args.indexOf(flag) > args.indexOf('--chmod=u+s,o+w'), flag);
    }
  });

  test('keepUnsafeLinks drops --safe-links and nothing else', () => {
    const kept = buildRsyncArgs(plan({ keepUnsafeLinks: true }));
    assert.deepEqual(kept, buildRsyncArgs(plan()).filter((arg) => arg !== '--safe-links'));
  });

  test('dryRun, progress and usesPassword add their flags', () => {
    const args = buildRsyncArgs(plan({ dryRun: true, progress: true, usesPassword: true }));
    assert.ok(args.includes('--dry-run'));
    assert.ok(args.includes('--info=progress2'));
    assert.ok(args.includes('--password-file=-'));
  });

  test('source and target get exactly one trailing slash', () => {
    for (const [sourceUrl, target] of [['rsync://h/m', '/srv/m'], ['rsync://h/m/', '/srv/m/'], ['rsync://h:8873/m/sub//', '/srv/m//']]) {
      const args = buildRsyncArgs(plan({ sourceUrl: sourceUrl!, target: target! }));
      assert.match(args.at(-2)!, /^rsync:\/\/h(?::8873)?\/m(?:\/sub)?\/$/);
      assert.equal(args.at(-1), '/srv/m/');
    }
  });

  test('without a trace the bulk pass excludes nothing else', () => {
    const { trace: _trace, ...withoutTrace } = base;
    const args = buildRsyncArgs({ ...withoutTrace, extraArgs: [] });
    assert.deepEqual(args.filter((arg) => arg.startsWith('--exclude')), ['--exclude=/.mirrorsync']);
  });

  test('the trace pass names the trace file itself and its folder in the target', () => {
    const args = buildRsyncArgs(plan({ kind: 'trace' }));
    assert.deepEqual(args.slice(-2), ['rsync://mirror.example.org/sage/zzz/timestamp.html', '/srv/mirror/sage/zzz/']);
    const top = buildRsyncArgs(plan({ kind: 'trace', trace: 'TIMESTAMP', sourceUrl: 'rsync://h/m/' }));
    assert.deepEqual(top.slice(-2), ['rsync://h/m/TIMESTAMP', '/srv/mirror/sage/']);
    assert.ok(!args.some((arg) => arg.startsWith('--max-delete') || arg.startsWith('--delete')));
  });

  test('the trace pass needs a trace', () => {
    const { trace: _trace, ...withoutTrace } = base;
    assertThrowsCode(() => buildRsyncArgs({ ...withoutTrace, kind: 'trace' }), 'internal');
  });

  for (const trace of ['/zzz/t', 'zzz//t', '../t', 'zzz/./t', 'zzz/', '*', 'a?b', 'a[b]', 'a\\b', 'a\nb', '']) {
    test(`refuses the trace path ${JSON.stringify(trace)}`, () => {
      assertThrowsCode(() => buildRsyncArgs(plan({ trace })), 'config.invalid', /trace/);
    });
  }

  test('no password ever reaches argv', () => {
    const address = parseRsyncAddress('rsync://bob:s3cret@mirror.example.org/sage/');
    assert.ok(!('error' in address));
    const args = buildRsyncArgs(plan({ sourceUrl: formatRsyncUrl(address), usesPassword: true }));
    assert.ok(args.includes('--password-file=-'));
    assert.ok(!args.some((arg) => arg.includes('s3cret')), args.join(' '));
    assert.ok(args.includes('rsync://bob@mirror.example.org/sage/'));
    assertThrowsCode(() => buildRsyncArgs(plan({ sourceUrl: 'rsync://bob:s3cret@mirror.example.org/sage/' })), 'internal', /password/);
  });

  for (const sourceUrl of ['-e sh', '--rsh=sh', '/etc/', 'mirror.example.org::sage', 'rsync://h/m x', '']) {
    test(`refuses the source ${JSON.stringify(sourceUrl)}`, () => {
      assertThrowsCode(() => buildRsyncArgs(plan({ sourceUrl })), 'internal');
    });
  }

  for (const target of ['srv/mirror', '-rf', '/', '/etc', '/usr/share/mirror', '/srv/../etc']) {
    test(`refuses the target ${JSON.stringify(target)}`, () => {
      assertThrowsCode(() => buildRsyncArgs(plan({ target })), 'target.unsafe');
    });
  }

  for (const [name, value] of [['timeoutSeconds', 0], ['connectTimeoutSeconds', 0], ['timeoutSeconds', 1.5], ['maxDelete', -1]] as const) {
    test(`refuses ${name} = ${value}`, () => {
      assertThrowsCode(() => buildRsyncArgs(plan({ [name]: value })), 'internal', new RegExp(name));
    });
  }

  const unsafeExtra: readonly string[] = [
    '--delete-before', '--delete-during', '--del', '--delete-delay', '--delete-excluded', '--ignore-errors',
    '--no-delete-after', '--no-delay-updates', '--no-times', '--no-recursive', '--no-r', '--no-perms', '--no-checksum',
    '--no-timeout', '--no-contimeout', '--timeout=0', '--contimeout=0', '--max-delete=100000', '--partial-dir=.tmp',
    '--temp-dir=/tmp', '--inplace', '--append', '--password-file=/tmp/pw', '--rsh=ssh', '--rsync-path=rm -rf /',
    '--remote-option=--delete', '--dry-run', '--list-only', '--write-batch=b', '--remove-source-files',
    '--files-from=list', '--exclude-from=-', '--include-from=-', '--filter=merge -', '--filter=._-',
    '-e', '-essh', '-avn', '-T/tmp', '-aM--x', '--', '-', '/etc/', 'extra-source', '--exclude\n=x',
  ];
  for (const arg of unsafeExtra) {
    test(`refuses the extra argument ${JSON.stringify(arg)}`, () => {
      assert.equal(findUnsafeRsyncArgs([arg]).length, 1);
      assertThrowsCode(() => buildRsyncArgs(plan({ extraArgs: [arg] })), 'config.invalid');
    });
  }

  const safeExtra: readonly string[] = [
    '--hard-links', '-H', '-v', '--exclude=*.iso', '--include=*/', '--bwlimit=1000', '--ipv4', '--no-motd',
    '--safe-links', '--chmod=D755,F644', '--exclude-from=/etc/mirror-excludes', '--filter=- *.tmp', '--no-whole-file',
  ];
  test('accepts ordinary extra arguments, in order', () => {
    assert.deepEqual(findUnsafeRsyncArgs(safeExtra), []);
    const args = buildRsyncArgs(plan({ extraArgs: safeExtra }));
    const first = args.indexOf(safeExtra[0]!);
    assert.deepEqual(args.slice(first, first + safeExtra.length), safeExtra);
  });
});

describe('maxDeleteFor', () => {
  const rows: readonly [number, number, number][] = [
    [0, 0.2, 0],
    [0, 1, 0],
    [1, 0.2, 1],
    [4, 0.2, 1],
    [5, 0.2, 1],
    [10, 0.2, 2],
    [100_000, 0.2, 20_000],
    [100_001, 0.2, 20_000],
    [1000, 0, 0],
    [1000, 1, 1000],
  ];
  for (const [count, fraction, expected] of rows) {
    test(`${count} entries × ${fraction} → ${expected}`, () => assert.equal(maxDeleteFor(count, fraction), expected));
  }
  for (const [count, fraction] of [[-1, 0.2], [1.5, 0.2], [10, -0.1], [10, 1.1], [10, Number.NaN]] as const) {
    test(`refuses ${count} entries × ${fraction}`, () => assert.throws(() => maxDeleteFor(count, fraction), RangeError));
  }
});

interface RsyncResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderrLines: string[];
}

function runRsync(args: readonly string[], password?: string): Promise<RsyncResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('rsync', args, { stdio: [password === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    if (password !== undefined) child.stdin?.end(`${password}\n`);
    const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (exitCode, signal) => {
      clearTimeout(deadline);
      resolve({ exitCode, signal, stdout, stderrLines: stderr.split('\n').filter((line) => line !== '') });
    });
  });
}

async function put(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

const TRACE = 'zzz/timestamp.html';

describe('buildRsyncArgs against a real rsync daemon', () => {
  const livePlan = (url: string, target: string, changes: Partial<RsyncPassPlan> = {}): RsyncPassPlan => ({
    kind: 'bulk',
    sourceUrl: url,
    target,
    trace: TRACE,
    extraArgs: [],
    timeoutSeconds: 10,
    connectTimeoutSeconds: 5,
    usesPassword: false,
    ...changes,
  });

  test('the bulk pass copies the tree except the trace, the trace pass then brings the trace', async (t) => {
    const lab = await useLab(t);
    await put(lab.path('upstream'), { 'a/one.txt': 'one', 'b/c/two.txt': 'two', [TRACE]: '<pre>2026-11-24 01:00 GMT / 10.5</pre>' });
    await symlink('a/one.txt', lab.path('upstream', 'link'));
    const daemon = await startDaemon(lab, { name: 'upstream', tree: lab.path('upstream') });
    const target = lab.path('mirror');

    const logFile = lab.path('last-run.log');
    const bulk = await runRsync(buildRsyncArgs(livePlan(daemon.url, target, { maxDelete: 0, logFile })));
    assert.equal(bulk.exitCode, 0, bulk.stderrLines.join('\n'));
    assert.ok(!existsSync(join(target, TRACE)), 'the bulk pass leaves the trace out');
    assert.equal(await readFile(join(target, 'b/c/two.txt'), 'utf8'), 'two');
    const bulkLog = await readFile(logFile, 'utf8');
    assert.match(bulkLog, /^[\d/]+ [\d:]+ \[\d+\] >f\+{9,} a\/one\.txt$/m, 'rsync logs each change compactly');
    assert.match(bulkLog, /\] cL\+{9,} link -> a\/one\.txt$/m);
    assert.match(bulkLog, /Number of regular files transferred: 2/);
    assert.doesNotMatch(bulk.stdout, /one\.txt/, 'nothing per file on stdout: node does not read it');
    assert.match(bulk.stdout, /Number of regular files transferred: 2/, 'the --stats summary still reaches node');

    const trace = await runRsync(buildRsyncArgs(livePlan(daemon.url, target, { kind: 'trace', logFile })));
    assert.equal(trace.exitCode, 0, trace.stderrLines.join('\n'));
    assert.match((await readFile(logFile, 'utf8')).slice(bulkLog.length), /\] >f\+{9,} timestamp\.html$/m);
    assert.deepEqual(await treeDigest(target), await treeDigest(lab.path('upstream')));

    // The next bulk pass neither deletes the trace it excludes nor changes anything.
    const again = await runRsync(buildRsyncArgs(livePlan(daemon.url, target, { maxDelete: 0 })));
    assert.equal(again.exitCode, 0, again.stderrLines.join('\n'));
    assert.ok(existsSync(join(target, TRACE)));
  });

  test('the trace pass fails when the source lacks the trace, instead of succeeding with nothing', async (t) => {
    const lab = await useLab(t);
    await put(lab.path('upstream'), { 'a/one.txt': 'one', 'zzz/other': 'x' });
    const daemon = await startDaemon(lab, { name: 'upstream', tree: lab.path('upstream') });
    const target = lab.path('mirror');
    assert.equal((await runRsync(buildRsyncArgs(livePlan(daemon.url, target)))).exitCode, 0);
    const trace = await runRsync(buildRsyncArgs(livePlan(daemon.url, target, { kind: 'trace' })));
    assert.equal(trace.exitCode, 23, trace.stderrLines.join('\n'));
    assert.equal(classifyRsyncExit({ ...trace }).class, 'transient');
  });

  test('a partial dir left by an interrupted run does not keep alive a directory upstream removed', async (t) => {
    const lab = await useLab(t);
    await put(lab.path('upstream'), { 'keep/file': 'k', [TRACE]: 't' });
    await put(lab.path('mirror'), {
      'keep/file': 'old',
      'gone/file': 'g',
      [`gone/${PARTIAL_DIR}/file`]: 'half-transferred',
      [`gone/deeper/${PARTIAL_DIR}/x`]: 'half-transferred',
    });
    const daemon = await startDaemon(lab, { name: 'upstream', tree: lab.path('upstream') });
    const bulk = await runRsync(buildRsyncArgs(livePlan(daemon.url, lab.path('mirror'))));
    assert.equal(bulk.exitCode, 0, bulk.stderrLines.join('\n'));
    assert.ok(!bulk.stderrLines.some((line) => /cannot delete non-empty directory/.test(line)), bulk.stderrLines.join('\n'));
    assert.ok(!existsSync(lab.path('mirror', 'gone')), 'the removed directory is gone, leftovers included');
    assert.equal(await readFile(lab.path('mirror', 'keep/file'), 'utf8'), 'k');
  });

  test('.mirrorsync/ in the target survives --delete-after, even when the user includes everything', async (t) => {
    const lab = await useLab(t);
    await put(lab.path('upstream'), { 'a/one.txt': 'one', [TRACE]: 't' });
    await put(lab.path('mirror'), { [`${STATE_DIR}/status.json`]: '{}', [`${STATE_DIR}/lock`]: '', 'stale.txt': 'x' });
    const daemon = await startDaemon(lab, { name: 'upstream', tree: lab.path('upstream') });
    const bulk = await runRsync(buildRsyncArgs(livePlan(daemon.url, lab.path('mirror'), { extraArgs: ['--include=*'] })));
    assert.equal(bulk.exitCode, 0, bulk.stderrLines.join('\n'));
    assert.equal(await readFile(lab.path('mirror', STATE_DIR, 'status.json'), 'utf8'), '{}');
    assert.ok(existsSync(lab.path('mirror', STATE_DIR, 'lock')));
    assert.ok(!existsSync(lab.path('mirror', 'stale.txt')), 'other extraneous files are deleted');
  });

  test('--max-delete stops deletions at the cap, and the pass is classified maxDelete', async (t) => {
    const lab = await useLab(t);
    await put(lab.path('upstream'), { 'a/one.txt': 'one' });
    await put(lab.path('mirror'), { 'a/one.txt': 'one', 'x1': '1', 'x2': '2', 'x3': '3' });
    const daemon = await startDaemon(lab, { name: 'upstream', tree: lab.path('upstream') });
    const bulk = await runRsync(buildRsyncArgs(livePlan(daemon.url, lab.path('mirror'), { maxDelete: 1 })));
    assert.equal(bulk.exitCode, 25, bulk.stderrLines.join('\n'));
    // The pass's own --stats back the stop: deletions reached the cap.
    const deleted = Number(/^Number of deleted files: (\d+)/m.exec(bulk.stdout)?.[1]);
    assert.equal(deleted, 1);
    assert.equal(classifyRsyncExit({ ...bulk, maxDelete: 1, deletedFiles: deleted }).class, 'maxDelete');
    assert.equal(classifyRsyncExit({ ...bulk, maxDelete: 1, deletedFiles: 0 }).class, 'transient', 'exit 25 alone, with nothing deleted, is no stop');
    assert.equal(['x1', 'x2', 'x3'].filter((name) => existsSync(lab.path('mirror', name))).length, 2);
  });

  test('the verify pass (--checksum) repairs a file whose size and mtime match but content differs', async (t) => {
    const lab = await useLab(t);
    await put(lab.path('upstream'), { 'a/one.txt': 'good' });
    await put(lab.path('mirror'), { 'a/one.txt': 'evil' });
    const when = new Date('2026-01-01T00:00:00Z');
    await utimes(lab.path('upstream', 'a/one.txt'), when, when);
    await utimes(lab.path('mirror', 'a/one.txt'), when, when);
    const daemon = await startDaemon(lab, { name: 'upstream', tree: lab.path('upstream') });
    const { trace: _trace, ...noTrace } = livePlan(daemon.url, lab.path('mirror'));
    assert.equal((await runRsync(buildRsyncArgs(noTrace))).exitCode, 0);
    assert.equal(await readFile(lab.path('mirror', 'a/one.txt'), 'utf8'), 'evil', 'the quick check is fooled');
    assert.equal((await runRsync(buildRsyncArgs({ ...noTrace, kind: 'verify' }))).exitCode, 0);
    assert.equal(await readFile(lab.path('mirror', 'a/one.txt'), 'utf8'), 'good');
  });

  test('--password-file=- takes the password from stdin, with nothing in argv', async (t) => {
    const lab = await useLab(t);
    await put(lab.path('upstream'), { 'a/one.txt': 'one', [TRACE]: 't' });
    const daemon = await startDaemon(lab, { name: 'private', tree: lab.path('upstream'), auth: { user: 'bob', password: 'pw-on-stdin' } });
    const address = parseRsyncAddress(`rsync://bob:pw-on-stdin@127.0.0.1:${daemon.port}/${daemon.module}/`);
    assert.ok(!('error' in address));
    const args = buildRsyncArgs(livePlan(formatRsyncUrl(address), lab.path('mirror'), { usesPassword: true }));
    assert.ok(!args.join(' ').includes('pw-on-stdin'));
    const good = await runRsync(args, 'pw-on-stdin');
    assert.equal(good.exitCode, 0, good.stderrLines.join('\n'));
    assert.ok(existsSync(lab.path('mirror', 'a/one.txt')));
    const bad = await runRsync(args, 'wrong');
    assert.equal(bad.exitCode, 5);
    assert.equal(classifyRsyncExit(bad).class, 'permanent');
  });
});
