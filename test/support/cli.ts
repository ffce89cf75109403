import { spawn, type ChildProcess } from 'node:child_process';
import { cliPath } from './paths.js';

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
}

export interface CliOptions {
  /** The script node runs: the shipped CLI unless a test brings its own copy. */
  readonly script?: string;
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** The test fails rather than hang: the CLI is killed after this long. */
  readonly timeoutMs?: number;
}

/** Starts the compiled CLI as a real process (the way cron or systemd would run it). */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const started = performance.now();
  const child = spawn(process.execPath, [options.script ?? cliPath, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, MIRRORSYNC_CONFIG: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: performance.now() - started });
    });
  });
  return { child, done };
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}
