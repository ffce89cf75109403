import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Runs `work` holding an exclusive flock(2) on `path`, waiting for it (up to `waitSeconds`): the
 * host-wide files are rebuilt by whichever `sync --all` process saw a change, and two processes
 * rebuilding at once could otherwise write an older view over a newer one. flock(1) locks our own
 * descriptor (as in sync/lock.ts). Without flock(1), or when the wait runs out, the work runs
 * unlocked: these files are published views, rebuilt whole on the next change.
 */
export async function withHostLock<T>(path: string, waitSeconds: number, work: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  try {
    await waitForFlock(handle.fd, waitSeconds);
    return await work();
  } finally {
    await handle.close();
  }
}

function waitForFlock(fd: number, waitSeconds: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('flock', ['--exclusive', '--wait', String(waitSeconds), '3'], { stdio: ['ignore', 'ignore', 'ignore', fd] });
    child.once('error', () => resolve(false));
    child.once('close', (code) => resolve(code === 0));
  });
}
