// node:child_process rather than execa: execa's load time would land on the no-op path, and a
// probe needs only spawn, a kill of the process group and a bounded stderr.
import { spawn } from 'node:child_process';
import { splitSegments } from '../util/split-segments.js';
import type { ProbeFailureKind } from './types.js';

export interface RsyncProbeRun {
  /** rsync binary (config.rsync.binary). */
  readonly binary: string;
  /** The deadline: when it aborts, rsync's whole process group is killed. */
  readonly signal: AbortSignal;
  /** Sent on stdin for `--password-file=-`; the caller puts that flag in args. */
  readonly password?: string;
  /** Called for each stdout line; stdout is ignored without it. */
  readonly onLine?: (line: string) => void;
}

export interface RsyncOutcome {
  readonly exitCode: number | null;
  /** The signal aborted and the child was killed. */
  readonly aborted: boolean;
  /** The first 16 KiB of stderr. */
  readonly stderr: string;
  /** rsync could not be started (e.g. the binary is missing). */
  readonly spawnError?: string;
}

const STDERR_CAP = 16 * 1024;

/**
 * Runs rsync without a shell or a terminal: stdin is /dev/null (or the password), and the child
 * leads a new session (detached), so rsync can never prompt. No --timeout/--contimeout: the
 * signal is the deadline, and rsync lingers ~60 ms at exit when --timeout is set.
 */
export function runRsyncProbe(args: readonly string[], options: RsyncProbeRun): Promise<RsyncOutcome> {
  const { binary, signal, password, onLine } = options;
  if (signal.aborted) return Promise.resolve({ exitCode: null, aborted: true, stderr: '' });
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC', LC_ALL: 'C' };
    // An inherited RSYNC_PASSWORD would be sent to every source, not only the one it belongs to.
    delete env.RSYNC_PASSWORD;
    const child = spawn(binary, [...args], {
      stdio: [password === undefined ? 'ignore' : 'pipe', onLine === undefined ? 'ignore' : 'pipe', 'pipe'],
      detached: true,
      env,
    });
    let stderr = '';
    let aborted = false;
    let spawnError: string | undefined;
    const onAbort = (): void => {
      aborted = true;
      killGroup(child.pid);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < STDERR_CAP) stderr = (stderr + chunk).slice(0, STDERR_CAP);
    });
    if (onLine !== undefined && child.stdout !== null) {
      // Not node:readline: loading it cost every no-op run a few ms for one small listing.
      const lines = splitSegments(onLine);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => lines.push(chunk)).once('end', () => lines.end());
    }
    if (password !== undefined && child.stdin !== null) {
      child.stdin.on('error', () => {}); // rsync may exit before reading it (EPIPE)
      child.stdin.end(`${password}\n`);
    }
    child.once('error', (error) => {
      spawnError = error.message;
    });
    child.once('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      const outcome = { exitCode: code, aborted, stderr };
      done(spawnError === undefined ? outcome : { ...outcome, spawnError });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * What a failed rsync run says about the source, from its exit code and stderr. Pure. Only lines
 * in rsync's own format count (anchored at the line start): rsync quotes file names inside its
 * lines, so a name never starts one.
 */
export function classifyRsyncFailure(exitCode: number | null, stderr: string): { kind: ProbeFailureKind; message: string } {
  // rsync prints "Password: " without a newline when it asks for one; the daemon's answer follows.
  const error = /^(?:Password: )?@ERROR:[ \t]*(.+)$/m.exec(stderr);
  if (error?.[1] !== undefined) return { kind: 'refused', message: error[1].trim() };
  if (/^rsync: (?:did not see server greeting|server sent .* rather than greeting)$/m.test(stderr)) {
    return { kind: 'refused', message: `not an rsync daemon: ${firstRsyncLine(stderr)}` };
  }
  const network: ReadonlyArray<readonly [RegExp, ProbeFailureKind, string]> = [
    [/Connection refused/, 'unreachable', 'connection refused'],
    [/Name or service not known|name resolution|getaddrinfo|nodename nor servname|Unknown host/i, 'unreachable', 'host not found'],
    [/No route to host/, 'unreachable', 'no route to host'],
    [/Network is unreachable/, 'unreachable', 'network unreachable'],
    [/Connection timed out/, 'timeout', 'timed out'],
  ];
  const connectLines = stderr.split('\n').filter((line) => CONNECT_LINE.test(line)).join('\n');
  for (const [pattern, kind, message] of network) if (pattern.test(connectLines)) return { kind, message };
  if (/No such file or directory/.test(stderr) || exitCode === 23) {
    return { kind: 'trace-missing', message: 'the trace file does not exist on the source' };
  }
  const code = exitCode === null ? 'was killed' : `exited with code ${exitCode}`;
  const detail = firstRsyncLine(stderr);
  const message = `rsync ${code}${detail === '' ? '' : `: ${detail}`}`;
  return { kind: exitCode === 10 || exitCode === 12 || exitCode === 35 ? 'unreachable' : 'refused', message };
}

// rsync's connect and resolve failures: "rsync: [Receiver] failed to connect to h (ip): Connection refused (111)",
// "rsync: getaddrinfo: h 873: Name or service not known".
const CONNECT_LINE = /^rsync: (?:\[\w+\] )?(?:failed to connect to |getaddrinfo: |error connecting to )/;

function firstRsyncLine(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return (lines.find((line) => !line.startsWith('rsync error:')) ?? lines[0] ?? '').slice(0, 200);
}
