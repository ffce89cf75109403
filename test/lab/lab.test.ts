import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  closedPort, createLab, formatTrace, isProcessAlive, livePids, makeTree, setTreeMtime, startDaemon,
  startStallServer, startTraceHttpServer, treeDigest, useLab, writeTrace, type Daemon, type HttpMode,
} from './index.js';
import { groupStates } from './process-group.js';
import { waitFor } from '../support/wait.js';

const DAY_MS = 24 * 3600 * 1000;

interface RsyncResult { code: number | null; stdout: string; stderr: string }

// A real rsync client, always bounded, never on a terminal.
function rsync(args: string[], env: Record<string, string> = {}, timeoutMs = 10_000): Promise<RsyncResult> {
  return new Promise((resolve) => {
    execFile('rsync', ['--contimeout=5', '--timeout=10', ...args], { env: { ...process.env, TZ: 'UTC', ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      });
  });
}

// Names in `rsync --list-only` output: the fifth field on (our trees have no spaces in names).
const listedNames = (stdout: string): string[] =>
  stdout.split('\n').filter((line) => /^[-dl]/.test(line)).map((line) => line.split(/\s+/).slice(4).join(' ')).sort();

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const fileSize = (path: string): number => (existsSync(path) ? statSync(path).size : -1);

describe('lab daemons', () => {
  test('three daemons on three trees each list their own files to a real rsync client', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('a'), { files: 4, dirs: 0, seed: 'a' });
    await makeTree(lab.path('b'), { files: 3, dirs: 0, seed: 'b' });
    await makeTree(lab.path('c'), { files: 2, dirs: 0, seed: 'c' });
    const [a, b, c] = await Promise.all([
      startDaemon(lab, { name: 'a', tree: lab.path('a') }),
      startDaemon(lab, { name: 'b', tree: lab.path('b'), module: 'debian', motd: 'welcome to b' }),
      startDaemon(lab, { name: 'c', tree: lab.path('c'), auth: { user: 'mirror', password: 's3cret' } }),
    ]);
    assert.equal(new Set([a.port, b.port, c.port]).size, 3);
    assert.equal(b.url, `rsync://127.0.0.1:${b.port}/debian/`);

    const listA = await rsync(['--list-only', a.url]);
    assert.equal(listA.code, 0, listA.stderr);
    assert.deepEqual(listedNames(listA.stdout), ['.', 'file-00000.bin', 'file-00001.bin', 'file-00002.bin', 'file-00003.bin']);
    const listB = await rsync(['--list-only', b.url]);
    assert.deepEqual(listedNames(listB.stdout), ['.', 'file-00000.bin', 'file-00001.bin', 'file-00002.bin']);
    assert.match(listB.stdout, /^welcome to b/);
    const listC = await rsync(['--list-only', c.url.replace('rsync://', 'rsync://mirror@')], { RSYNC_PASSWORD: 's3cret' });
    assert.equal(listC.code, 0, listC.stderr);
    assert.deepEqual(listedNames(listC.stdout), ['.', 'file-00000.bin', 'file-00001.bin']);
    const denied = await rsync(['--list-only', c.url.replace('rsync://', 'rsync://mirror@')], { RSYNC_PASSWORD: 'wrong' });
    assert.equal(denied.code, 5);
    assert.match(denied.stderr, /auth failed/);

    // transfer logging names every file a daemon sent
    const copy = await rsync(['-a', a.url, lab.path('copy-a/')]);
    assert.equal(copy.code, 0, copy.stderr);
    assert.deepEqual(await treeDigest(lab.path('copy-a')), await treeDigest(lab.path('a')));
    assert.match(await a.log(), /send .* file-00003\.bin 64/);
    assert.doesNotMatch(await b.log(), /send /);
  });

  test('an empty tree lists only "." and a stale tree serves a trace three days old', async (t) => {
    const lab = await useLab(t);
    const threeDaysAgo = new Date(Math.floor((Date.now() - 3 * DAY_MS) / 60_000) * 60_000);
    await makeTree(lab.path('empty'), { files: 0 });
    await makeTree(lab.path('stale'), { files: 5, seed: 'stale', trace: { path: 'zzz/timestamp.html', at: threeDaysAgo } });
    const empty = await startDaemon(lab, { name: 'empty', tree: lab.path('empty') });
    const stale = await startDaemon(lab, { name: 'stale', tree: lab.path('stale') });

    const listEmpty = await rsync(['--list-only', empty.url]);
    assert.equal(listEmpty.code, 0, listEmpty.stderr);
    assert.deepEqual(listedNames(listEmpty.stdout), ['.']);

    const fetched = await rsync([`${stale.url}zzz/timestamp.html`, lab.path('trace.html')]);
    assert.equal(fetched.code, 0, fetched.stderr);
    const text = await readFile(lab.path('trace.html'), 'utf8');
    assert.equal(text, formatTrace(threeDaysAgo, 'sage'));
    const stamp = /<pre>(\d{4}-\d\d-\d\d \d\d:\d\d) GMT \//.exec(text)?.[1];
    assert.equal(new Date(`${stamp?.replace(' ', 'T')}:00Z`).getTime(), threeDaysAgo.getTime());
  });

  test('a daemon killed mid-transfer fails the client, and restarts on the same port', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('big'), { files: 1, dirs: 0, bytesPerFile: 1024 * 1024, seed: 'big' });
    const daemon = await startDaemon(lab, { name: 'slow', tree: lab.path('big'), bwlimitKBps: 100, maxConnections: 1 });
    const client = spawn('rsync', ['-a', '--inplace', '--timeout=10', daemon.url, lab.path('dst/')], { stdio: 'ignore' });
    const clientExit = exitOf(client);
    t.after(() => client.kill('SIGKILL'));
    // --inplace opens the file when its transfer starts (and writes in 256 KiB steps)
    await waitFor('the transfer to start', () => fileSize(lab.path('dst/file-00000.bin')) >= 0);
    const pids = livePids(lab);
    assert.ok(pids.length >= 2, `daemon and its per-connection child: ${pids.join(',')}`);
    assert.ok(pids.includes(daemon.pid));

    // the one connection slot is taken: a second client is turned away, as a busy mirror does
    const busy = await rsync(['--list-only', daemon.url]);
    assert.equal(busy.code, 5);
    assert.match(busy.stderr, /max connections \(1\) reached/);

    const port = daemon.port;
    await daemon.kill();
    const code = await clientExit;
    assert.notEqual(code, 0);
    assert.notEqual(code, 30, 'the client noticed only at its --timeout, not when the connection went');
    assert.ok(fileSize(lab.path('dst/file-00000.bin')) < 1024 * 1024);
    assert.deepEqual(livePids(lab), []);
    for (const pid of pids) assert.equal(isProcessAlive(pid), false, `pid ${pid}`);
    assert.equal(daemon.running, false);

    await daemon.restart();
    assert.equal(daemon.port, port);
    assert.notEqual(daemon.pid, pids[0]);
    const listed = await rsync(['--list-only', daemon.url]);
    assert.deepEqual(listedNames(listed.stdout), ['.', 'file-00000.bin']);
    await daemon.stop();
    const refused = await rsync(['--list-only', daemon.url]);
    assert.equal(refused.code, 10);

    // a restart onto a port someone else took says so instead of hanging
    const squatter = createServer().listen(port, '127.0.0.1');
    t.after(() => squatter.close());
    await once(squatter, 'listening');
    await assert.rejects(daemon.restart(), /port \d+ stays in use/);
    assert.equal(daemon.running, false);
  });

  test('freeze stalls a transfer in progress and thaw lets it finish', async (t) => {
    const lab = await useLab(t);
    // rsync --inplace writes in 256 KiB steps: at 1000 KiB/s an unfrozen daemon would add ~3 of them in 700 ms
    await makeTree(lab.path('tree'), { files: 1, dirs: 0, bytesPerFile: 1536 * 1024, seed: 'freeze' });
    const daemon: Daemon = await startDaemon(lab, { name: 'freezer', tree: lab.path('tree'), bwlimitKBps: 1000 });
    const target = lab.path('dst/file-00000.bin');
    const client = spawn('rsync', ['-a', '--inplace', daemon.url, lab.path('dst/')], { stdio: 'ignore' });
    const clientExit = exitOf(client);
    t.after(() => client.kill('SIGKILL'));
    await waitFor('bytes of the transfer', () => fileSize(target) > 0);

    daemon.freeze();
    const states = groupStates(daemon.pid);
    assert.ok(states.size >= 2, 'daemon and per-connection child');
    await waitFor('every member stopped', () => [...groupStates(daemon.pid).values()].every((state) => state === 'T'));
    // Nothing can show that nothing happens but a while of it; bytes already in flight may still
    // land (later on a busy machine), so the file is only required to stay incomplete.
    const stillRunning = await Promise.race([clientExit.then(() => false), sleep(700).then(() => true)]);
    assert.ok(stillRunning, 'the client waits while the daemon is frozen');
    assert.ok([...groupStates(daemon.pid).values()].every((state) => state === 'T'), 'a member of the frozen daemon runs');
    assert.ok(fileSize(target) < 1536 * 1024, 'the transfer completed while the daemon was frozen');

    daemon.thaw();
    assert.equal(await clientExit, 0);
    assert.deepEqual(await treeDigest(lab.path('dst')), await treeDigest(lab.path('tree')));
  });
});

describe('lab trees and traces', () => {
  test('trace formats follow SageMath, dak, ISO 8601 and Unix seconds', async (t) => {
    const at = new Date('2016-04-07T05:09:01Z');
    assert.match(formatTrace(at, 'sage'), /<pre>2016-04-07 05:09 GMT \/ 9\.6 \/ 9\.6 \/ [0-9a-f]{32} \/ [0-9a-f]{32}<\/pre><\/body><\/html>$/);
    assert.notEqual(formatTrace(at, 'sage'), formatTrace(new Date('2016-04-07T05:10:01Z'), 'sage'));
    const debian = formatTrace(new Date('2016-04-27T15:39:01Z'), 'debian').split('\n');
    assert.equal(debian[0], 'Wed Apr 27 15:39:01 UTC 2016');
    assert.equal(debian[3], 'Archive serial: 2016042762');
    assert.equal(debian[4], 'Date: Wed, 27 Apr 2016 15:39:01 +0000');
    assert.equal(formatTrace(at, 'debian').split('\n')[0], 'Thu Apr  7 05:09:01 UTC 2016');
    assert.equal(formatTrace(at, 'iso'), '2016-04-07T05:09:01Z\n');
    assert.equal(formatTrace(at, 'unix'), '1460005741\n');

    const lab = await useLab(t);
    await writeTrace(lab.root, 'project/trace/master', at, 'debian');
    assert.equal(await readFile(lab.path('project/trace/master'), 'utf8'), formatTrace(at, 'debian'));
    assert.equal((await lstat(lab.path('project/trace/master'))).mtime.getTime(), at.getTime());
  });

  test('makeTree is deterministic and treeDigest detects one changed byte', async (t) => {
    const lab = await useLab(t);
    const spec = { files: 10, bytesPerFile: 1000, seed: 's1', trace: { path: 'zzz/timestamp.html', at: new Date('2022-05-18T15:25:00Z') } };
    await makeTree(lab.path('one'), spec);
    await makeTree(lab.path('two'), spec);
    await makeTree(lab.path('other'), { ...spec, seed: 's2' });
    const one = await treeDigest(lab.path('one'));
    assert.deepEqual(await treeDigest(lab.path('two')), one);
    assert.notDeepEqual(await treeDigest(lab.path('other')), one);
    assert.equal([...one.values()].filter((value) => /^[0-9a-f]{64}$/.test(value)).length, 11);
    assert.equal(one.get('dir-000'), 'dir');
    assert.equal((await lstat(lab.path('one/dir-001/file-00001.bin'))).size, 1000);
    assert.equal((await lstat(lab.path('one/dir-001/file-00001.bin'))).mtime.getTime(),
      (await lstat(lab.path('two/dir-001/file-00001.bin'))).mtime.getTime());

    const victim = lab.path('two/dir-002/file-00005.bin');
    const bytes = await readFile(victim);
    bytes[500] = (bytes[500] ?? 0) ^ 1;
    await writeFile(victim, bytes);
    const changed = await treeDigest(lab.path('two'));
    const differing = [...one.keys()].filter((key) => one.get(key) !== changed.get(key));
    assert.deepEqual(differing, ['dir-002/file-00005.bin']);

    await symlink('dir-000/file-00000.bin', lab.path('two/latest'));
    await mkdir(lab.path('two/.mirrorsync'));
    await writeFile(lab.path('two/.mirrorsync/status.json'), '{}');
    const withExtras = await treeDigest(lab.path('two'), { exclude: ['.mirrorsync'] });
    assert.equal(withExtras.get('latest'), 'link:dir-000/file-00000.bin');
    assert.equal([...withExtras.keys()].some((key) => key.startsWith('.mirrorsync')), false);
  });

  test('setTreeMtime sets the mtime of every entry, symlinks and the root included', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 4, seed: 'm' });
    await symlink('missing-target', lab.path('tree/dangling'));
    const at = new Date('2020-02-02T02:02:02Z');
    await setTreeMtime(lab.path('tree'), at);
    for (const path of ['tree', 'tree/dir-000', 'tree/dir-001/file-00001.bin', 'tree/dangling']) {
      assert.equal((await lstat(lab.path(path))).mtime.getTime(), at.getTime(), path);
    }
  });
});

interface HttpObservation { status: number | undefined; location: string | undefined; bytes: number; ended: boolean; body: string; ms: number }

// One raw request, observed until it ends, `enough` bytes arrived or `stop` resolves, then torn
// down; `deadlineMs` only guards against a hang.
function observeHttp(url: string, options: { enough?: number; stop?: Promise<unknown>; deadlineMs?: number } = {}): Promise<HttpObservation> {
  const { enough = Infinity, stop, deadlineMs = 60_000 } = options;
  return new Promise((resolve) => {
    const began = Date.now();
    const seen: HttpObservation = { status: undefined, location: undefined, bytes: 0, ended: false, body: '', ms: 0 };
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      seen.ms = Date.now() - began;
      clearTimeout(timer);
      req.destroy();
      resolve(seen);
    };
    const timer = setTimeout(finish, deadlineMs);
    void stop?.then(finish, finish);
    const req = request(url, (res) => {
      seen.status = res.statusCode;
      seen.location = res.headers.location;
      res.on('data', (chunk: Buffer) => {
        seen.bytes += chunk.length;
        if (seen.body.length < 1000) seen.body += chunk.toString('latin1');
        if (seen.bytes >= enough) finish();
      });
      res.on('end', () => {
        seen.ended = true;
        finish();
      });
    });
    req.on('error', () => finish());
    req.end();
  });
}

describe('lab faults', () => {
  test('the stall server accepts and never sends a byte; a closed port refuses', async (t) => {
    const lab = await useLab(t);
    const stall = await startStallServer(lab);
    const socket = connect({ host: '127.0.0.1', port: stall.port });
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    await new Promise((resolve) => socket.once('connect', resolve));
    await waitFor('the stall server to accept', () => stall.connections() === 1);
    await sleep(500); // a while of silence: the only way to see nothing arrive
    assert.equal(received, 0);
    assert.equal(stall.connections(), 1);
    socket.destroy();

    const port = await closedPort(lab);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      connect({ host: '127.0.0.1', port }).on('error', resolve).on('connect', () => resolve(new Error('connected')));
    });
    assert.equal(error.code, 'ECONNREFUSED');
  });

  test('a closed port stays owned by its lab: nothing else can listen on it until dispose', async () => {
    const lab = await createLab();
    const port = await closedPort(lab);
    const intruder = createServer();
    try {
      const bind = await new Promise<NodeJS.ErrnoException | 'listening'>((resolve) => {
        intruder.once('error', resolve);
        intruder.listen(port, '127.0.0.1', () => resolve('listening'));
      });
      assert.equal(bind === 'listening' ? 'listening' : bind.code, 'EADDRINUSE', `another server could listen on closed port ${port}`);
      const other = await createLab();
      await other.dispose();
      assert.notEqual(other.module, lab.module, 'two labs serve the same module name');
    } finally {
      intruder.close();
      await lab.dispose();
    }
  });

  test('each HTTP mode behaves as described', async (t) => {
    const lab = await useLab(t);
    await writeTrace(lab.path('www'), 'zzz/timestamp.html', new Date('2022-05-18T15:25:00Z'));
    const start = (mode: HttpMode) => startTraceHttpServer(lab, { body: 'abcdefghij', mode });
    const [files, slow, endless, huge, hang, loop, toFile, failing] = await Promise.all([
      startTraceHttpServer(lab, { root: lab.path('www') }),
      start('slow'), start('endless'), start('huge'), start('hang'), start('redirect-loop'), start('redirect-file'), start('status-500'),
    ]);
    const [trace, missing, escape, dripped, forever, flood, hung, looped, filed, failed] = await Promise.all([
      observeHttp(`${files.url}zzz/timestamp.html`),
      observeHttp(`${files.url}nothing-here`),
      observeHttp(`${files.url}..%2F..%2Fetc%2Fpasswd`),
      observeHttp(slow.url, { enough: 3 }),
      observeHttp(endless.url, { enough: 12 }),
      observeHttp(huge.url, { enough: 10 * 1024 * 1024 + 1 }),
      observeHttp(hang.url, { stop: waitFor('the hung request', () => hang.requests() === 1) }),
      observeHttp(`${loop.url}a/b?c=1`),
      observeHttp(toFile.url),
      observeHttp(failing.url),
    ]);
    assert.equal(trace.status, 200);
    assert.equal(trace.body, formatTrace(new Date('2022-05-18T15:25:00Z'), 'sage'));
    assert.equal(missing.status, 404);
    assert.equal(escape.status, 404);
    assert.equal(dripped.status, 200);
    // A byte at a time: short of the 10-byte body when the third byte is in (a busy reader may get two drips at once).
    assert.ok(dripped.bytes >= 3 && dripped.bytes < 10, `slow sent ${dripped.bytes} bytes`);
    assert.equal(dripped.ended, false);
    assert.equal(forever.status, 200);
    assert.equal(forever.body.slice(0, 12), 'abcdefghij\n\n', 'the body, then newlines');
    assert.equal(forever.ended, false);
    assert.equal(flood.status, 200);
    assert.ok(flood.bytes > 10 * 1024 * 1024, `huge sent ${flood.bytes} bytes`);
    t.diagnostic(`huge sent 10 MB in ${flood.ms} ms`);
    assert.equal(flood.ended, false);
    assert.equal(hung.status, undefined);
    assert.equal(hang.requests(), 1);
    assert.equal(looped.status, 302);
    assert.equal(looped.location, `${loop.url}a/b?c=1`);
    assert.equal(filed.status, 302);
    assert.equal(filed.location, 'file:///etc/passwd');
    assert.equal(failed.status, 500);

    // a slow drip completes in the end
    const full = await observeHttp(slow.url);
    assert.deepEqual([full.ended, full.body], [true, 'abcdefghij']);
  });
});

describe('lab clean-up', () => {
  test('dispose stops every process and server the lab started, even frozen or mid-transfer', async () => {
    const lab = await createLab();
    let pids: number[] = [];
    let client: ChildProcess | undefined;
    try {
      await makeTree(lab.path('tree'), { files: 1, dirs: 0, bytesPerFile: 512 * 1024, seed: 'leak' });
      const busy = await startDaemon(lab, { name: 'busy', tree: lab.path('tree'), bwlimitKBps: 50 });
      const frozen = await startDaemon(lab, { name: 'frozen', tree: lab.path('tree') });
      frozen.freeze();
      const stall = await startStallServer(lab);
      const hang = await startTraceHttpServer(lab, { mode: 'hang' });
      const pending = observeHttp(hang.url);
      client = spawn('rsync', ['-a', '--inplace', busy.url, lab.path('dst/')], { stdio: 'ignore' });
      await waitFor('the transfer to start', () => fileSize(lab.path('dst/file-00000.bin')) >= 0);
      await waitFor('the hung request', () => hang.requests() === 1);
      pids = livePids(lab);
      assert.ok(pids.length >= 3, `two daemons and a per-connection child: ${pids.join(',')}`);

      await lab.dispose();
      for (const pid of pids) {
        assert.equal(isProcessAlive(pid), false, `pid ${pid} is gone from /proc`);
        const zombie = existsSync(`/proc/${pid}`);
        if (!zombie) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
      }
      assert.deepEqual(livePids(lab), []);
      assert.equal(existsSync(lab.root), false);
      assert.equal((await pending).status, undefined);
      const refused = await new Promise<string | undefined>((resolve) => {
        connect({ host: '127.0.0.1', port: stall.port }).on('error', (e: NodeJS.ErrnoException) => resolve(e.code)).on('connect', () => resolve('connected'));
      });
      assert.equal(refused, 'ECONNREFUSED');
      await lab.dispose(); // idempotent
      await assert.rejects(startDaemon(lab, { name: 'late', tree: '/nonexistent' }), /disposed/);
    } finally {
      client?.kill('SIGKILL');
      await lab.dispose();
    }
  });
});
