import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../lab/index.js';
import { stopGroup } from '../lab/process-group.js';

/** An `rsync --daemon` started from a config file exactly as printed; only port and address come from argv. */
export interface PrintedDaemon {
  readonly port: number;
  stop(): Promise<void>;
}

// Resolves true on the `@RSYNCD:` greeting, false when the connection is refused or closes first.
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('data', (chunk) => done(chunk.toString('latin1').includes('@RSYNCD:')));
    socket.on('error', () => done(false));
    socket.on('end', () => done(false));
  });
}

/**
 * Starts the daemon in its own process group (so stop() reaches its per-connection children) and
 * waits for its greeting; `output` collects its stdout and stderr for failure messages.
 */
export async function startPrintedDaemon(confFile: string, output: string, spawnOptions: Pick<SpawnOptions, 'uid' | 'gid'> = {}): Promise<PrintedDaemon> {
  // Another process may take the free port before rsync binds it: one more try on a new port.
  try {
    return await startOnce(confFile, output, spawnOptions);
  } catch {
    return startOnce(confFile, output, spawnOptions);
  }
}

async function startOnce(confFile: string, output: string, spawnOptions: Pick<SpawnOptions, 'uid' | 'gid'>): Promise<PrintedDaemon> {
  const port = await freePort();
  const fd = openSync(output, 'a');
  let child: ChildProcess;
  try {
    child = spawn('rsync', ['--daemon', '--no-detach', `--config=${confFile}`, `--port=${port}`, '--address=127.0.0.1'], {
      detached: true,
      stdio: ['ignore', fd, fd],
      ...spawnOptions,
    });
  } finally {
    closeSync(fd);
  }
  let exited = false;
  const gone = new Promise<void>((resolve) => {
    const end = (): void => {
      exited = true;
      resolve();
    };
    child.once('exit', end);
    child.once('error', end);
  });
  const pgid = child.pid;
  const stop = async (): Promise<void> => {
    if (pgid !== undefined && !exited) await stopGroup(pgid, 'SIGTERM');
    await gone;
  };
  const deadline = Date.now() + 30_000; // a hang guard: a busy machine may take seconds to start it
  while (!(await greets(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`rsync --daemon did not start: ${readFileSync(output, 'utf8')}`);
    }
    await sleep(50);
  }
  return { port, stop };
}
