import { readFileSync } from 'node:fs';

/**
 * Bytes read so far from the source, as /proc counts them. In a pull, rsync forks once the file
 * list has arrived: the child (the receiver) reads the socket and the parent (the generator) only
 * reads short messages from the child every few seconds. So count the descendants once there
 * are any, and the process itself before. Undefined when /proc says nothing.
 */
export function readSourceInput(rootPid: number): number | undefined {
  const children = childrenOf(rootPid);
  if (children.length === 0) return readInput(rootPid);
  let total: number | undefined;
  const pending = children;
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    const input = readInput(pid);
    if (input !== undefined) total = (total ?? 0) + input;
    pending.push(...childrenOf(pid));
  }
  return total;
}

function readInput(pid: number): number | undefined {
  try {
    const rchar = /^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1];
    return rchar === undefined ? undefined : Number(rchar);
  } catch {
    return undefined; // the process has ended
  }
}

function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

export interface StallWatch {
  stop(): void;
}

/**
 * Calls onStall when the process tree has read nothing for idleMs. rsync's own --timeout misses
 * a sender that stops (frozen, or wedged mid-file): the client's keepalives still go out, so its
 * I/O is not idle (see FIELD-NOTES). A healthy sender sends keepalives at least every half
 * --timeout, so counting what arrives never mistakes a slow file-list build for a stall.
 */
export function watchForStall(options: { readonly pid: number; readonly idleMs: number; readonly pollMs?: number; readonly onStall: () => void }): StallWatch {
  let lastInput = readSourceInput(options.pid);
  let lastChange = Date.now();
  const timer = setInterval(() => {
    const input = readSourceInput(options.pid);
    if (input === undefined) return;
    if (input !== lastInput) {
      lastInput = input;
      lastChange = Date.now();
    } else if (Date.now() - lastChange >= options.idleMs) {
      clearInterval(timer);
      options.onStall();
    }
  }, options.pollMs ?? 250);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
