import { spawn } from 'node:child_process';
import type { PassProgress } from './progress.js';
import { readPassStderr, readPassStdout } from './rsync-output.js';
import { emptyStats, type RsyncStats } from './rsync-stats.js';
import { watchForStall } from './stall-watch.js';
import { monotonicMs } from '../util/monotonic.js';

export interface RsyncRunOptions {
  readonly binary: string;
  readonly args: readonly string[];
  /** Sent on stdin for `--password-file=-`; never in argv or the environment. */
  readonly password?: string;
  /** The lock's descriptor: every rsync child holds the lock for as long as it lives. */
  readonly lockFd?: number;
  /** More descriptors every rsync child keeps open (the host's slots), as its fds 4, 5, ... */
  readonly extraFds?: readonly number[];
  readonly signal: AbortSignal;
  /** Wall-clock limit of the pass; the whole process group is killed after it. */
  readonly maxDurationMs: number;
  /** The pass is stopped when its processes read nothing from anywhere for this long. */
  readonly stallTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL. */
  readonly killGraceMs?: number;
  /** `--info=progress2` updates, when the pass asked for them. */
  readonly onProgress?: (progress: PassProgress) => void;
  /** Called once rsync has been started. */
  readonly onSpawned?: () => void;
}

export interface RsyncRunResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The last stderr lines, bounded, for classifying the failure. */
  readonly stderrLines: readonly string[];
  readonly stats: RsyncStats;
  readonly killedByWatchdog: boolean;
  /** Stopped because nothing arrived for stallTimeoutMs. */
  readonly stalled: boolean;
  readonly canceled: boolean;
  readonly durationMs: number;
  readonly pid: number | undefined;
}

const STDERR_LINES_KEPT = 200;
const STALL_KILL_GRACE_MS = 300;

/**
 * Runs one rsync pass, never through a shell. rsync writes its per-file log itself
 * (`--log-file`); what node reads is small and streamed: progress, errors, the --stats summary.
 * rsync runs in its own process group, so cancellation and the watchdog stop the receiver and
 * generator it forks, not just the parent. node:child_process, not execa: importing execa cost
 * every transferring run ~85 ms and 13 MiB (BENCHMARKS.md), for nothing spawn lacks here.
 */
export async function runRsync(options: RsyncRunOptions): Promise<RsyncRunResult> {
  const started = monotonicMs();
  const stats = emptyStats();
  const stderrLines: string[] = [];
  let killedByWatchdog = false;
  let stalled = false;
  let canceled = false;

  const subprocess = spawn(options.binary, [...options.args], {
    detached: true,
    // No password: an empty RSYNC_PASSWORD makes a module that wants one fail at once instead of
    // prompting on a terminal forever (and a detached child has no terminal to prompt on).
    env: { ...process.env, LC_ALL: 'C', TZ: 'UTC', RSYNC_PASSWORD: '' },
    // The child's fd 3 shares the lock's open file description: it holds the lock while it lives;
    // the host's slots follow as fds 4, 5, ... the same way.
    stdio: [options.password === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', options.lockFd ?? 'ignore', ...(options.extraFds ?? [])],
  });
  const pid = subprocess.pid;
  options.onSpawned?.();
  if (options.password !== undefined && subprocess.stdin !== null) {
    subprocess.stdin.on('error', () => {}); // rsync may exit before reading it (EPIPE)
    subprocess.stdin.end(`${options.password}\n`);
  }

  const killGroup = (signal: NodeJS.Signals) => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  let graceTimer: NodeJS.Timeout | undefined;
  // A stalled or overdue pass gets a short grace: its receiver may sit in poll() trying to tell a
  // dead sender goodbye, and nothing it could still do is worth waiting for.
  const stop = (graceMs: number) => {
    killGroup('SIGTERM');
    graceTimer ??= setTimeout(() => killGroup('SIGKILL'), graceMs);
  };
  const onAbort = () => {
    canceled = true;
    stop(options.killGraceMs ?? 5000);
  };
  // Once the main rsync has exited, a receiver it left behind (stopped or failed passes) may sit in
  // poll() holding our pipes open; nothing it could do now matters, so end the group at once.
  // A pass that ended well leaves no member behind, and its group ID may soon be another
  // process's (PIDs wrap): only a pass that failed or was stopped has its group killed.
  const endedBadly = (code: number | null) => code !== 0 || canceled || stalled || killedByWatchdog;
  let exitCode: number | null = null;
  subprocess.once('exit', (code: number | null) => {
    exitCode = code;
    if (endedBadly(code)) killGroup('SIGKILL');
  });
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  const watchdog = setTimeout(() => {
    killedByWatchdog = true;
    stop(STALL_KILL_GRACE_MS);
  }, options.maxDurationMs);
  const stallWatch =
    pid === undefined || options.stallTimeoutMs === undefined
      ? undefined
      : watchForStall({
          pid,
          idleMs: options.stallTimeoutMs,
          onStall: () => {
            stalled = true;
            stop(STALL_KILL_GRACE_MS);
          },
        });

  const stdout = readPassStdout(stats, options.onProgress);
  const stderr = readPassStderr(stats, stderrLines, STDERR_LINES_KEPT);
  subprocess.stdout?.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
  subprocess.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));

  try {
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      subprocess.once('error', (error) => {
        // Not started (no such binary...): said in rsync's place, so the failure names it.
        stderrLines.push(`cannot run ${options.binary}: ${error.message}`);
        resolve({ code: null, signal: null });
      });
      subprocess.once('close', (code, signal) => resolve({ code, signal }));
    });
    stdout.end();
    stderr.end();
    return {
      exitCode: ended.code,
      signal: ended.signal,
      stderrLines,
      stats,
      killedByWatchdog,
      stalled,
      canceled,
      durationMs: monotonicMs() - started,
      pid,
    };
  } finally {
    clearTimeout(watchdog);
    stallWatch?.stop();
    if (graceTimer) clearTimeout(graceTimer);
    options.signal.removeEventListener('abort', onAbort);
    // Leave no member of the group behind when the pass did not end well.
    if (endedBadly(exitCode)) killGroup('SIGKILL');
  }
}
