import { execa } from 'execa';
import { emptyStats, foldErrorLine, foldStatsLine, type RsyncStats } from './rsync-stats.js';
import { watchForStall } from './stall-watch.js';

export interface RsyncRunOptions {
  readonly binary: string;
  readonly args: readonly string[];
  /** Sent on stdin for `--password-file=-`; never in argv or the environment. */
  readonly password?: string;
  /** The lock's descriptor: every rsync child holds the lock for as long as it lives. */
  readonly lockFd?: number;
  readonly signal: AbortSignal;
  /** Wall-clock limit of the pass; the whole process group is killed after it. */
  readonly maxDurationMs: number;
  /** The pass is stopped when its processes read nothing from anywhere for this long. */
  readonly stallTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL. */
  readonly killGraceMs?: number;
  readonly onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
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
 * Runs one rsync pass, never through a shell, streaming its output line by line (a million-file
 * pass must not grow memory). rsync runs in its own process group, so cancellation and the
 * watchdog stop the receiver and generator it forks, not just the parent.
 */
export async function runRsync(options: RsyncRunOptions): Promise<RsyncRunResult> {
  const started = performance.now();
  const stats = emptyStats();
  const stderrLines: string[] = [];
  let killedByWatchdog = false;
  let stalled = false;
  let canceled = false;

  // execa's types accept no fd number for stdio[3+], but it hands one to child_process unchanged:
  // the child's fd 3 then shares the lock's open file description.
  const lockStdio = (options.lockFd ?? 'ignore') as 'ignore';
  const subprocess = execa(options.binary, options.args, {
    detached: true,
    reject: false,
    buffer: false,
    stripFinalNewline: false,
    // No password: an empty RSYNC_PASSWORD makes a module that wants one fail at once instead of
    // prompting on a terminal forever (and a detached child has no terminal to prompt on).
    env: { LC_ALL: 'C', TZ: 'UTC', RSYNC_PASSWORD: '' },
    extendEnv: true,
    ...(options.password === undefined ? {} : { input: `${options.password}\n` }),
    stdio: [options.password === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', lockStdio] as const,
  });
  const pid = subprocess.pid;

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

  const readLines = async (from: 'stdout' | 'stderr') => {
    for await (const line of subprocess.iterable({ from })) {
      if (from === 'stdout') foldStatsLine(stats, line);
      else {
        foldErrorLine(stats, line);
        stderrLines.push(line);
        if (stderrLines.length > STDERR_LINES_KEPT) stderrLines.shift();
      }
      options.onLine?.(from, line);
    }
  };

  try {
    const [result] = await Promise.all([subprocess, readLines('stdout'), readLines('stderr')]);
    return {
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      stderrLines,
      stats,
      killedByWatchdog,
      stalled,
      canceled,
      durationMs: performance.now() - started,
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
