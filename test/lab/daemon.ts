import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDaemonFiles } from './daemon-files.js';
import { waitForRsyncGreeting } from './greeting.js';
import { assertUsable, onDispose, trackGroup, untrackGroup, type Lab } from './lab.js';
import { freePort } from './ports.js';
import { signalGroup, stopGroup } from './process-group.js';

/** A running `rsync --daemon` in its own process group, serving one module of a lab tree. */
export interface Daemon {
  readonly name: string;
  readonly port: number;
  readonly module: string;
  /** rsync://127.0.0.1:PORT/MODULE/ */
  readonly url: string;
  readonly tree: string;
  readonly logFile: string;
  /** The daemon's own stdout and stderr (start-up errors land here). */
  readonly outputFile: string;
  readonly confFile: string;
  /** The daemon's pid, which is also its process group id (the last one, once stopped). */
  readonly pid: number;
  readonly running: boolean;
  /** Kills the daemon and its per-connection children (the process group), waits until gone. Default SIGKILL. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM to the group, SIGKILL after a grace period; waits until gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port (stopping it first if it runs). */
  restart(): Promise<void>;
  /** The daemon log text ('' before anything was logged). */
  log(): Promise<string>;
  /** SIGSTOP to the whole group: a transfer in progress stalls, new connections get no greeting. */
  freeze(): void;
  /** SIGCONT to the whole group. */
  thaw(): void;
}

export interface DaemonOptions {
  /** Unique within the lab; names the daemon's folder. */
  name: string;
  tree: string;
  /** Default: the lab's own module name (lab.module). */
  module?: string;
  /** Daemon-side --bwlimit (KiB/s) to throttle what it sends. */
  bwlimitKBps?: number;
  motd?: string;
  maxConnections?: number;
  auth?: { user: string; password: string };
  /** Default true. */
  readOnly?: boolean;
  extraModuleLines?: string[];
}

interface Running {
  child: ChildProcess;
  pgid: number;
  exited: Promise<void>;
  exitReason: () => string | undefined;
}

// A hang guard: a daemon greets within milliseconds, but a busy machine may take seconds to start it.
const READY_DEADLINE_MS = 30_000;
const ADDRESS_IN_USE = /Address already in use/;

export async function startDaemon(lab: Lab, options: DaemonOptions): Promise<Daemon> {
  assertUsable(lab);
  const module = options.module ?? lab.module;
  await mkdir(lab.path('daemons'), { recursive: true });
  const dir = lab.path('daemons', options.name);
  await mkdir(dir); // fails on a duplicate name rather than sharing files
  await writeDaemonFiles(dir, { ...options, module });
  const daemon = new LabDaemon(lab, options.name, module, options.tree, dir, options.bwlimitKBps);
  const unregister = onDispose(lab, () => daemon.kill('SIGKILL'));
  try {
    await daemon.startOnFreePort();
  } catch (error) {
    unregister();
    await daemon.kill('SIGKILL');
    throw error;
  }
  return daemon;
}

class LabDaemon implements Daemon {
  readonly logFile: string;
  readonly outputFile: string;
  readonly confFile: string;
  private readonly pidFile: string;
  private current: Running | undefined;
  private lastPid = 0;
  private boundPort = 0;

  constructor(
    private readonly lab: Lab,
    readonly name: string,
    readonly module: string,
    readonly tree: string,
    dir: string,
    private readonly bwlimitKBps: number | undefined,
  ) {
    this.logFile = join(dir, 'rsyncd.log');
    this.outputFile = join(dir, 'rsyncd.out');
    this.confFile = join(dir, 'rsyncd.conf');
    this.pidFile = join(dir, 'rsyncd.pid');
  }

  get port(): number {
    return this.boundPort;
  }
  get url(): string {
    return `rsync://127.0.0.1:${this.boundPort}/${this.module}/`;
  }
  get pid(): number {
    return this.current?.pgid ?? this.lastPid;
  }
  get running(): boolean {
    return this.current !== undefined;
  }

  // Another process may grab the free port between freePort() and the daemon's bind: try once more.
  async startOnFreePort(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      this.boundPort = await freePort();
      const outcome = await this.spawnAndWait();
      if (outcome === 'ready') return;
      if (attempt >= 2) throw new Error(`rsync daemon ${this.name}: port ${this.boundPort} in use twice`);
    }
  }

  async restart(): Promise<void> {
    assertUsable(this.lab);
    await this.stop();
    // The daemon binds with SO_REUSEADDR, but a client racing for the port may still hold it briefly.
    for (let attempt = 1; ; attempt += 1) {
      if ((await this.spawnAndWait()) === 'ready') return;
      if (attempt >= 5) throw new Error(`rsync daemon ${this.name}: port ${this.boundPort} stays in use`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async spawnAndWait(): Promise<'ready' | 'in-use'> {
    await rm(this.pidFile, { force: true }); // rsync refuses to start over an existing pid file
    const mark = this.outputMark();
    const args = ['--daemon', '--no-detach', `--config=${this.confFile}`, `--port=${this.boundPort}`, '--address=127.0.0.1', `--log-file=${this.logFile}`];
    if (this.bwlimitKBps !== undefined) args.push(`--bwlimit=${this.bwlimitKBps}`);
    const out = openSync(this.outputFile, 'a');
    let child: ChildProcess;
    try {
      // detached: the daemon leads its own process group, so kill(-pid) reaches its forked children.
      child = spawn('rsync', args, { detached: true, stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    const running = await this.adopt(child);
    try {
      const gaveUp = new AbortController();
      void running.exited.then(() => {
        gaveUp.abort(`rsync daemon ${this.name} ${running.exitReason() ?? 'exited'}:\n${this.outputSince(mark)}`);
      });
      await waitForRsyncGreeting(this.boundPort, READY_DEADLINE_MS, gaveUp.signal);
      return 'ready';
    } catch (error) {
      await this.kill('SIGKILL');
      if (ADDRESS_IN_USE.test(this.outputSince(mark))) return 'in-use';
      throw error;
    }
  }

  private async adopt(child: ChildProcess): Promise<Running> {
    const pgid = child.pid;
    if (pgid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new Error(`cannot start rsync --daemon: ${error.message}`, { cause: error });
    }
    // A test that forgets dispose() must not hang its runner: the exit handler kills the group.
    child.unref();
    this.lastPid = pgid;
    trackGroup(this.lab, pgid);
    let exitReason: string | undefined;
    const exited = new Promise<void>((done) => {
      child.once('exit', (code, signal) => {
        exitReason = `exited with ${signal ?? `code ${code}`}`;
        done();
      });
    });
    const running: Running = { child, pgid, exited, exitReason: () => exitReason };
    this.current = running;
    return running;
  }

  // Where the output and log files end now, so a failure is judged on what this start wrote.
  private outputMark(): [number, number] {
    return [fileLength(this.outputFile), fileLength(this.logFile)];
  }

  private outputSince([output, log]: [number, number]): string {
    return `${readFrom(this.outputFile, output)}${readFrom(this.logFile, log)}`.slice(-4000);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const running = this.current;
    if (running === undefined) return;
    // Referenced again while we wait: an unreferenced child alone would let the event loop end.
    running.child.ref();
    await stopGroup(running.pgid, signal);
    await running.exited; // reaped by Node, so its pid is really free
    untrackGroup(running.pgid);
    if (this.current === running) this.current = undefined;
    await rm(this.pidFile, { force: true });
  }

  stop(): Promise<void> {
    return this.kill('SIGTERM');
  }

  async log(): Promise<string> {
    try {
      return await readFile(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  freeze(): void {
    signalGroup(this.runningGroup('freeze'), 'SIGSTOP');
  }

  thaw(): void {
    signalGroup(this.runningGroup('thaw'), 'SIGCONT');
  }

  private runningGroup(action: string): number {
    if (this.current === undefined) throw new Error(`cannot ${action} rsync daemon ${this.name}: not running`);
    return this.current.pgid;
  }
}

function fileLength(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): string {
  try {
    return readFileSync(path).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}
