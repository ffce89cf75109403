import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { interruptionOf } from '../errors.js';
import { tryFlock, type HeldLock } from '../sync/lock.js';

/** A pool of `size` flock(2) slot files in `dir` (slot-0.lock ...): whoever holds one holds a place. */
export interface SlotPool {
  readonly dir: string;
  readonly size: number;
}

const FIRST_WAIT_MS = 100;
const LONGEST_WAIT_MS = 1000;

/**
 * Takes a free slot of the pool, waiting (polling, with jitter) until one frees or `signal` aborts.
 * A slot is a flock like the mirror lock: hand its descriptor to the rsync children and it stays
 * taken while they live, even when the mirrorsync that took it is killed.
 */
export async function takeSlot(pool: SlotPool, signal: AbortSignal, onWait?: () => void): Promise<HeldLock> {
  let waitMs = FIRST_WAIT_MS;
  let told = false;
  for (;;) {
    if (signal.aborted) throw interruptionOf(signal);
    // Start at a random slot: processes that start together then mostly try different files.
    const start = Math.floor(Math.random() * pool.size);
    for (let step = 0; step < pool.size; step += 1) {
      const held = await tryFlock(join(pool.dir, `slot-${(start + step) % pool.size}.lock`));
      if (held !== undefined) return held;
    }
    if (!told) onWait?.();
    told = true;
    await delay(waitMs * (0.5 + Math.random()), undefined, { signal }).catch(() => {
      throw interruptionOf(signal);
    });
    waitMs = Math.min(LONGEST_WAIT_MS, waitMs * 2);
  }
}

/** How many of the slot files in these dirs someone holds now (read from /proc/locks, no locking). */
export function countHeldSlots(dirs: readonly string[]): number {
  const held = heldFlocks();
  let count = 0;
  for (const dir of dirs) {
    for (const name of safeList(dir)) {
      if (name.startsWith('slot-') && name.endsWith('.lock') && held.has(fileKey(join(dir, name)) ?? '')) count += 1;
    }
  }
  return count;
}

/** Whether any process holds a flock on `path` now (read from /proc/locks, no locking). */
export function isFlockHeld(path: string): boolean {
  const key = fileKey(path);
  return key !== undefined && heldFlocks().has(key);
}

// /proc/locks lines: `1: FLOCK  ADVISORY  WRITE 1234 fe:00:4287421 0 EOF`; waiters are marked `->`.
function heldFlocks(): Set<string> {
  let text: string;
  try {
    text = readFileSync('/proc/locks', 'utf8');
  } catch {
    return new Set();
  }
  const keys = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+\d+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (match !== null) keys.add(`${parseInt(match[1] ?? '', 16)}:${parseInt(match[2] ?? '', 16)}:${match[3] ?? ''}`);
  }
  return keys;
}

// The device number as glibc's major()/minor() split it, which is how /proc/locks prints it.
function fileKey(path: string): string | undefined {
  try {
    const { dev, ino } = statSync(path, { bigint: true });
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
    const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
    return `${major}:${minor}:${ino}`;
  } catch {
    return undefined;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
