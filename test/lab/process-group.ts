import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** One entry of /proc: enough to tell group membership and zombies apart. */
interface ProcEntry {
  pid: number;
  pgrp: number;
  state: string;
}

const hasProc = (() => {
  try {
    readFileSync('/proc/self/stat', 'utf8');
    return true;
  } catch {
    return false;
  }
})();

// The command name in /proc/PID/stat may hold spaces and parentheses: fields start after the last ')'.
function readProcEntry(pid: number): ProcEntry | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  if (state === undefined || !Number.isInteger(pgrp)) return undefined;
  return { pid, pgrp, state };
}

function allProcEntries(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProcEntry(Number(name));
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isProcessAlive(pid: number): boolean {
  if (hasProc) {
    const entry = readProcEntry(pid);
    return entry !== undefined && entry.state !== 'Z';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Live (non-zombie) members of the given process groups. */
export function groupMembers(pgids: Iterable<number>): number[] {
  const wanted = new Set(pgids);
  if (wanted.size === 0) return [];
  if (!hasProc) return [...wanted].filter((pgid) => isGroupAliveByKill(pgid));
  return allProcEntries()
    .filter((entry) => wanted.has(entry.pgrp) && entry.state !== 'Z')
    .map((entry) => entry.pid)
    .sort((a, b) => a - b);
}

/** Process states ('S', 'R', 'T', ...) of a group's live members, for freeze checks. */
export function groupStates(pgid: number): Map<number, string> {
  const states = new Map<number, string>();
  if (!hasProc) return states;
  for (const entry of allProcEntries()) {
    if (entry.pgrp === pgid && entry.state !== 'Z') states.set(entry.pid, entry.state);
  }
  return states;
}

function isGroupAliveByKill(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Polls until no live member of the group remains; false when the deadline passed first. */
export async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (groupMembers([pgid]).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
}

/**
 * Stops a group: the signal, then SIGCONT so stopped (frozen) members act on it, then SIGKILL
 * when it outlives the grace period. Throws if even SIGKILL leaves a member behind.
 */
export async function stopGroup(pgid: number, signal: NodeJS.Signals, graceMs = 3000): Promise<void> {
  signalGroup(pgid, signal);
  if (signal !== 'SIGKILL') signalGroup(pgid, 'SIGCONT');
  if (await waitGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  if (await waitGroupGone(pgid, 3000)) return;
  throw new Error(`process group ${pgid} survived SIGKILL: ${groupMembers([pgid]).join(', ')}`);
}
