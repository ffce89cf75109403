import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** How one process ended, with its whole-process wall time (spawn to the close of its stdio). */
export interface Timed {
  readonly ms: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Collected only when asked for (`captureStdout`). */
  readonly stdout: string;
  /** The last few KB of stderr, for saying why a run failed. */
  readonly stderrTail: string;
  readonly pid: number | undefined;
  /** Peak resident set of the process itself (VmHWM), when `sample` asked for it. */
  readonly peakRssKiB?: number;
  /** CPU time (user + system) of the process itself, not its children, when `sample` asked for it. */
  readonly cpuMs?: number;
}

export interface TimeOptions {
  readonly captureStdout?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Poll /proc/<pid> every `sample` ms for VmHWM and CPU time: the process's own, not its
   * children's (rsync), and what it had at the last poll before it exited.
   */
  readonly sample?: number;
  /** Called once the process runs (for a benchmark that acts on it mid-way). */
  readonly onSpawn?: (pid: number) => void;
}

const STDERR_TAIL = 4096;

/**
 * Runs one command and measures its wall time. Output nobody reads goes to /dev/null, for the
 * measured command and its baseline alike, so neither pays for a pipe the other lacks.
 */
export function timeProcess(command: string, args: readonly string[], options: TimeOptions = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      stdio: ['ignore', options.captureStdout === true ? 'pipe' : 'ignore', 'pipe'],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderrTail = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
    });
    let peakRssKiB: number | undefined;
    let cpuMs: number | undefined;
    let sampler: NodeJS.Timeout | undefined;
    if (options.sample !== undefined && child.pid !== undefined) {
      const pid = child.pid;
      const sample = () => {
        const hwm = readHighWaterMark(pid);
        if (hwm !== undefined) peakRssKiB = Math.max(peakRssKiB ?? 0, hwm);
        cpuMs = readCpuMs(pid) ?? cpuMs;
      };
      sampler = setInterval(sample, options.sample);
      child.once('exit', () => clearInterval(sampler));
    }
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const ms = performance.now() - started;
      if (sampler !== undefined) clearInterval(sampler);
      resolve({ ms, code, signal, stdout, stderrTail, pid: child.pid, ...(peakRssKiB === undefined ? {} : { peakRssKiB }), ...(cpuMs === undefined ? {} : { cpuMs }) });
    });
  });
}

/** VmHWM of a live process in KiB (undefined once it has exited). */
export function readHighWaterMark(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

let clockTicks: number | undefined;

/** utime + stime of a live process in ms (undefined once it has exited). */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return undefined;
  }
}

/** Throws with the command's stderr when a run that must succeed did not. */
export function expectSuccess(what: string, timed: Timed, okCodes: readonly number[] = [0]): Timed {
  if (timed.code === null || !okCodes.includes(timed.code)) {
    throw new Error(`${what} exited ${timed.code ?? timed.signal}:\n${timed.stderrTail}`);
  }
  return timed;
}

/** One contender in an interleaved measurement. */
export interface Contender {
  readonly name: string;
  /** Untimed preparation before each repetition (a fresh target, say). */
  readonly prepare?: () => Promise<void>;
  /** The measured work; returns its wall time in ms. */
  readonly run: () => Promise<number>;
}

/**
 * Runs every contender `reps` times, interleaved (a, b, c, b, c, a, ...: the order rotates each
 * round so none always runs first after a pause, or always right after a heavy one), and returns
 * each one's samples. A load spike then hits all of them instead of one.
 */
export async function interleave(reps: number, contenders: readonly Contender[], onRound?: (round: number) => void): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(contenders.map((contender) => [contender.name, []]));
  for (let round = 0; round < reps; round += 1) {
    for (let i = 0; i < contenders.length; i += 1) {
      const contender = contenders[(i + round) % contenders.length];
      if (contender === undefined) continue;
      await contender.prepare?.();
      samples.get(contender.name)?.push(await contender.run());
    }
    onRound?.(round + 1);
  }
  return samples;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The spread shown next to a median: min and max. */
export function range(values: readonly number[]): { min: number; max: number } {
  return { min: Math.min(...values), max: Math.max(...values) };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
