import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isProcessAlive } from '../util/process-alive.js';

/** A process that has the lock file open, as far as /proc lets us see. */
export interface LockHolder {
  readonly pid: number;
  /** Its command name (/proc/<pid>/comm), when readable. */
  readonly command?: string;
}

/** Start time of a process (field 22 of /proc/<pid>/stat, clock ticks since boot), or undefined when it is gone. */
export function readStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The first decimal number in a lock file's text (mirrorsync writes its PID there). */
export function parseRecordedPid(text: string): number | undefined {
  const match = /^\s*(\d{1,10})\b/.exec(text);
  const pid = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Names the process most likely to hold a flock(2) lock on `lockPath`. The PID recorded in the
 * file is trusted only while that process still has the file open: after a SIGKILL the holder is
 * the rsync child that inherited the descriptor, and `flock -xn file cmd` records nothing.
 */
export function findLockHolder(lockPath: string, recordedPid: number | undefined): LockHolder | undefined {
  const openers = findOpeners(lockPath);
  if (recordedPid !== undefined && openers.some((opener) => opener.pid === recordedPid)) {
    return describe(recordedPid);
  }
  // The holder usually opened the file first; a process that merely tried later is younger.
  const oldest = openers.sort((a, b) => a.start - b.start || a.pid - b.pid)[0];
  if (oldest !== undefined) return describe(oldest.pid);
  // Without permission to read other users' /proc/<pid>/fd, fall back on the file's word.
  if (recordedPid !== undefined && isProcessAlive(recordedPid)) return describe(recordedPid);
  return undefined;
}

/**
 * An rsync that still has the lock file open: a writer left by a mirrorsync that was killed.
 * Only our rsync children get the lock's descriptor, so in PID-file mode (no flock(1)) such a
 * process means the tree is still being written, whatever the PID file says.
 */
export function findSurvivingWriter(lockPath: string): LockHolder | undefined {
  return findOpeners(lockPath)
    .map((opener) => describe(opener.pid))
    .find((holder) => holder.command === 'rsync');
}

function describe(pid: number): LockHolder {
  try {
    return { pid, command: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() };
  } catch {
    return { pid };
  }
}

// Scans /proc/*/fd, comparing device and inode rather than link text, so that bind mounts and
// symlinked paths still match. Synchronous on purpose: it runs only on the "lock held" path,
// and one directory handle at a time cannot exhaust descriptors on a busy host.
function findOpeners(lockPath: string): { pid: number; start: number }[] {
  let target: { dev: bigint; ino: bigint };
  let entries: string[];
  try {
    target = statSync(lockPath, { bigint: true });
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const openers: { pid: number; start: number }[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || !hasFileOpen(pid, target)) continue;
    openers.push({ pid, start: Number(readStartTime(pid) ?? Number.MAX_SAFE_INTEGER) });
  }
  return openers;
}

function hasFileOpen(pid: number, target: { dev: bigint; ino: bigint }): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      const stat = statSync(`/proc/${pid}/fd/${fd}`, { bigint: true });
      return stat.ino === target.ino && stat.dev === target.dev;
    } catch {
      return false;
    }
  });
}
