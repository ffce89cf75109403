import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, afterEach, before, describe, test } from 'node:test';
import { isMirrorsyncError } from '../../src/errors.js';
import { acquireLock, type HeldLock } from '../../src/sync/lock.js';
import { waitFor } from '../support/wait.js';

const lockModuleUrl = new URL('../../src/sync/lock.js', import.meta.url).href;
const MISSING_FLOCK = '/nonexistent/flock';

// Every process a test starts, each in its own process group, killed after each test.
const started = new Set<ChildProcess>();
const heldLocks = new Set<HeldLock>();

function start(command: string, args: readonly string[], options: { stdio?: ('ignore' | 'pipe' | 'inherit' | number)[]; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const child = spawn(command, args, { stdio: options.stdio ?? 'ignore', detached: true, env: options.env ?? process.env });
  started.add(child);
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function killGroup(child: ChildProcess): Promise<void> {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await exited(child);
}

/** Exit status of `flock -xn <file> true`: 0 when the lock is free, 1 when someone holds it. */
function tryFlock(file: string): number | null {
  return spawnSync('flock', ['-xn', file, 'true']).status;
}

const waitUntil = (condition: () => boolean, what: string): Promise<void> => waitFor(what, condition);

async function expectHeld(lockPath: string, options: { flockBinary?: string } = {}): Promise<{ message: string; pid: unknown }> {
  try {
    const lock = await acquireLock(lockPath, options);
    heldLocks.add(lock);
  } catch (error) {
    assert.ok(isMirrorsyncError(error), String(error));
    assert.equal(error.code, 'lock.held', error.message);
    return { message: error.message, pid: error.details['pid'] };
  }
  assert.fail('acquireLock succeeded while the lock was held');
}

function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

// A node process that takes the lock, optionally hands it to `sleep 30`, prints one line
// (`won <sleepPid>` or `held <code>`) and, if it won, keeps the lock until its stdin closes.
const CONTENDER = `
import { spawn } from 'node:child_process';
const { acquireLock } = await import(process.env.LOCK_MODULE);
const options = process.env.FLOCK_BINARY ? { flockBinary: process.env.FLOCK_BINARY } : {};
let lock;
try {
  lock = await acquireLock(process.env.LOCK_PATH, options);
} catch (error) {
  console.log('held ' + error.code);
  process.exit(0);
}
let sleeper = '';
if (process.env.SPAWN_SLEEP) {
  const child = spawn('sleep', ['30'], { stdio: ['ignore', 'ignore', 'ignore', lock.fd], detached: true });
  child.unref();
  sleeper = String(child.pid);
}
console.log(('won ' + sleeper).trim());
process.stdin.resume();
process.stdin.on('end', async () => { await lock.release(); process.exit(0); });
`;

function startContender(lockPath: string, env: Record<string, string> = {}): { child: ChildProcess; line: Promise<string> } {
  const child = start(process.execPath, ['--input-type=module', '-e', CONTENDER], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, LOCK_MODULE: lockModuleUrl, LOCK_PATH: lockPath, ...env },
  });
  const lines = createInterface({ input: child.stdout! });
  const line = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    // 'close', not 'exit': a contender that prints and exits at once may exit before its line is read.
    child.once('close', (code) => reject(new Error(`contender exited (${code}) without a word`)));
  });
  return { child, line };
}

describe('acquireLock', () => {
  let dir = '';
  let lockPath = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mirrorsync-lock-'));
  });
  afterEach(async () => {
    for (const lock of heldLocks) await lock.release();
    heldLocks.clear();
    await Promise.all([...started].map(killGroup));
    started.clear();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  let counter = 0;
  const freshLockPath = (): string => join(dir, `t${++counter}`, '.mirrorsync', 'lock');

  test('a lock held by flock(1) from cron is refused at once, naming that flock process', async () => {
    lockPath = freshLockPath();
    await mkdir(dirname(lockPath), { recursive: true });
    const cron = start('flock', ['-xn', lockPath, 'sleep', '30']);
    await waitUntil(() => tryFlock(lockPath) === 1, 'flock(1) holds the lock');
    const { message, pid } = await expectHeld(lockPath);
    // At once: the refusal came while the holder (30 s) still runs, so it did not wait for the lock.
    assert.equal(tryFlock(lockPath), 1, 'the refusal came only once the holder let go');
    assert.equal(message, `another sync holds the lock ${lockPath} (PID ${cron.pid})`);
    assert.equal(pid, cron.pid);
  });

  test('while we hold the lock flock(1) cannot take it, and after release it can', async () => {
    lockPath = freshLockPath();
    const lock = await acquireLock(lockPath);
    heldLocks.add(lock);
    assert.equal(lock.kind, 'flock');
    assert.equal(lock.path, lockPath);
    assert.equal(await readFile(lockPath, 'utf8'), `${process.pid}\n`);
    assert.equal(tryFlock(lockPath), 1);
    const again = await expectHeld(lockPath);
    assert.equal(again.pid, process.pid);
    await lock.release();
    await lock.release();
    assert.equal(tryFlock(lockPath), 0);
  });

  test('a child given the descriptor keeps the lock after release, until it ends', async () => {
    lockPath = freshLockPath();
    const lock = await acquireLock(lockPath);
    heldLocks.add(lock);
    const writer = start('sleep', ['30'], { stdio: ['ignore', 'ignore', 'ignore', lock.fd] });
    await lock.release();
    assert.equal(tryFlock(lockPath), 1);
    const { pid } = await expectHeld(lockPath);
    assert.equal(pid, writer.pid, 'names the child, not the recorded PID of a process that let go');
    await killGroup(writer);
    assert.equal(tryFlock(lockPath), 0);
  });

  test('a mirrorsync killed with SIGKILL leaves the lock to its child, and no stale lock after it', async () => {
    lockPath = freshLockPath();
    const node = startContender(lockPath, { SPAWN_SLEEP: '1' });
    const [word, sleeperPid] = (await node.line).split(' ');
    assert.equal(word, 'won');
    const sleeper = Number(sleeperPid);
    process.kill(node.child.pid!, 'SIGKILL');
    await exited(node.child);
    try {
      assert.equal(tryFlock(lockPath), 1, 'the child still holds the lock');
      const { message, pid } = await expectHeld(lockPath);
      assert.equal(pid, sleeper, message);
    } finally {
      process.kill(sleeper, 'SIGKILL');
    }
    await waitUntil(() => tryFlock(lockPath) === 0, 'the lock is free once the child is gone');
    const lock = await acquireLock(lockPath);
    heldLocks.add(lock);
    assert.equal(lock.kind, 'flock');
  });

  for (const mode of ['flock', 'pidfile'] as const) {
    test(`20 concurrent acquirers in separate processes: exactly one wins (${mode})`, async () => {
      lockPath = freshLockPath();
      const env: Record<string, string> = mode === 'pidfile' ? { FLOCK_BINARY: MISSING_FLOCK } : {};
      const contenders = Array.from({ length: 20 }, () => startContender(lockPath, env));
      const lines = await Promise.all(contenders.map((contender) => contender.line));
      assert.equal(lines.filter((line) => line === 'won').length, 1, lines.join(', '));
      assert.equal(lines.filter((line) => line === 'held lock.held').length, 19, lines.join(', '));
      for (const { child } of contenders) child.stdin?.end();
      await Promise.all(contenders.map(({ child }) => exited(child)));
      if (mode === 'flock') assert.equal(tryFlock(lockPath), 0);
      else await assert.rejects(readFile(`${lockPath}.pid`), { code: 'ENOENT' });
    });
  }

  test('a directory that cannot hold the lock file gives lock.failed', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    await assert.rejects(acquireLock(join(file, '.mirrorsync', 'lock')), (error: unknown) => {
      assert.ok(isMirrorsyncError(error));
      assert.equal(error.code, 'lock.failed');
      assert.match(error.message, /cannot open the lock file/);
      return true;
    });
  });

  test('a flock(1) that fails for another reason gives lock.failed', async () => {
    const broken = join(dir, 'broken-flock');
    await writeFile(broken, '#!/bin/sh\necho "flock: bad things" >&2\nexit 66\n');
    await chmod(broken, 0o755);
    await assert.rejects(acquireLock(freshLockPath(), { flockBinary: broken }), (error: unknown) => {
      assert.ok(isMirrorsyncError(error));
      assert.equal(error.code, 'lock.failed');
      assert.match(error.message, /exited with 66: flock: bad things/);
      return true;
    });
  });

  describe('PID file fallback when flock(1) is missing', () => {
    const options = { flockBinary: MISSING_FLOCK };

    test('acquire, refuse a second holder naming the PID, release', async () => {
      lockPath = freshLockPath();
      const lock = await acquireLock(lockPath, options);
      heldLocks.add(lock);
      assert.equal(lock.kind, 'pidfile');
      assert.equal(await readFile(`${lockPath}.pid`, 'utf8'), `${process.pid} ${startTimeOf(process.pid)}\n`);
      const { message, pid } = await expectHeld(lockPath, options);
      assert.equal(pid, process.pid);
      assert.match(message, new RegExp(`\\(PID ${process.pid}\\)$`));
      await lock.release();
      await assert.rejects(readFile(`${lockPath}.pid`), { code: 'ENOENT' });
    });

    test('an rsync that still writes (its mirrorsync killed, the PID file stale) keeps the lock', async () => {
      lockPath = freshLockPath();
      const lock = await acquireLock(lockPath, options);
      heldLocks.add(lock);
      // A stand-in named rsync, holding the lock's descriptor as mirrorsync's rsync children do.
      const fakeRsync = join(dirname(lockPath), 'rsync');
      await writeFile(fakeRsync, await readFile('/bin/sleep'));
      await chmod(fakeRsync, 0o755);
      const writer = start(fakeRsync, ['30'], { stdio: ['ignore', 'ignore', 'ignore', lock.fd] });
      await lock.release();
      // Its mirrorsync is gone: the PID file names a dead process.
      await writeFile(`${lockPath}.pid`, '999999999 1\n');
      const { pid, message } = await expectHeld(lockPath, options);
      assert.equal(pid, writer.pid);
      assert.match(message, /an rsync still writing/);
      writer.kill('SIGKILL');
      await exited(writer);
      const next = await acquireLock(lockPath, options);
      heldLocks.add(next);
      assert.equal(next.kind, 'pidfile');
    });

    test('a live holder with the recorded start time keeps the lock', async () => {
      lockPath = freshLockPath();
      const holder = start('sleep', ['30']);
      await (await acquireLock(lockPath, options)).release(); // creates the directory
      await writeFile(`${lockPath}.pid`, `${holder.pid} ${startTimeOf(holder.pid!)}\n`);
      const { pid } = await expectHeld(lockPath, options);
      assert.equal(pid, holder.pid);
    });

    test('a file left by a dead process is taken over', async () => {
      lockPath = freshLockPath();
      const gone = start('true', []);
      await exited(gone);
      await (await acquireLock(lockPath, options)).release();
      await writeFile(`${lockPath}.pid`, `${gone.pid} 12345\n`);
      const lock = await acquireLock(lockPath, options);
      heldLocks.add(lock);
      assert.match(await readFile(`${lockPath}.pid`, 'utf8'), new RegExp(`^${process.pid} `));
    });

    test('a file whose PID was reused by another process (start time differs) is taken over', async () => {
      lockPath = freshLockPath();
      const stranger = start('sleep', ['30']);
      await (await acquireLock(lockPath, options)).release();
      await writeFile(`${lockPath}.pid`, `${stranger.pid} 1\n`);
      const lock = await acquireLock(lockPath, options);
      heldLocks.add(lock);
      assert.match(await readFile(`${lockPath}.pid`, 'utf8'), new RegExp(`^${process.pid} `));
    });

    test('release does not remove a file that is no longer ours', async () => {
      lockPath = freshLockPath();
      const lock = await acquireLock(lockPath, options);
      await writeFile(`${lockPath}.pid`, '99999999 1\n');
      await lock.release();
      assert.equal(await readFile(`${lockPath}.pid`, 'utf8'), '99999999 1\n');
    });
  });
});
