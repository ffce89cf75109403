import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { groupMembers, signalGroup } from './process-group.js';

/** A scratch world for one test: a temp dir plus every server and daemon started in it. */
export interface Lab {
  /** A fresh temp dir (os.tmpdir()/mirrorsync-lab-XXXX). */
  readonly root: string;
  /** Joins parts under root. */
  path(...parts: string[]): string;
  /**
   * The rsync module this lab's daemons serve by default and its fault servers name, random per
   * lab: a client of another test that reaches this lab's port by mistake finds no module of its
   * own there instead of syncing this lab's tree.
   */
  readonly module: string;
  /** Stops every server and daemon this lab started (with their children) and removes root; idempotent. */
  dispose(): Promise<void>;
}

interface LabState {
  readonly root: string;
  /** Every process group the lab ever started, for leak checks. */
  readonly groupsEver: Set<number>;
  readonly closers: Set<() => Promise<void>>;
  disposal: Promise<void> | undefined;
}

const states = new WeakMap<Lab, LabState>();
// Groups and roots still in use by any lab of this process: the last-chance clean-up on exit.
const liveGroups = new Set<number>();
const liveRoots = new Set<string>();

export async function createLab(): Promise<Lab> {
  installExitCleanup();
  const root = await mkdtemp(join(tmpdir(), 'mirrorsync-lab-'));
  const state: LabState = { root, groupsEver: new Set(), closers: new Set(), disposal: undefined };
  liveRoots.add(root);
  const lab: Lab = {
    root,
    path: (...parts) => join(root, ...parts),
    module: `sage-${randomBytes(4).toString('hex')}`,
    dispose: () => (state.disposal ??= disposeState(state)),
  };
  states.set(lab, state);
  return lab;
}

/** Creates a lab and registers its disposal with node:test, so it runs even when the test fails. */
export async function useLab(t: TestContext): Promise<Lab> {
  const lab = await createLab();
  t.after(() => lab.dispose());
  return lab;
}

/** PIDs of live processes this lab started, per-connection children included (for leak checks). */
export function livePids(lab: Lab): number[] {
  return groupMembers(stateOf(lab).groupsEver);
}

async function disposeState(state: LabState): Promise<void> {
  const closers = [...state.closers];
  state.closers.clear();
  const results = await Promise.allSettled(closers.map((close) => close()));
  // A closer that failed may have left its group: SIGKILL whatever is left before removing the files.
  for (const pgid of state.groupsEver) {
    if (!liveGroups.has(pgid)) continue;
    signalGroup(pgid, 'SIGKILL');
    liveGroups.delete(pgid);
  }
  await rm(state.root, { recursive: true, force: true, maxRetries: 3 });
  liveRoots.delete(state.root);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw new Error('lab dispose: a server did not stop', { cause: failed.reason });
}

function stateOf(lab: Lab): LabState {
  const state = states.get(lab);
  if (state === undefined) throw new Error('not a lab made by createLab()');
  return state;
}

/** Throws when the lab is already disposed: starting a server then would leak it. */
export function assertUsable(lab: Lab): void {
  if (stateOf(lab).disposal !== undefined) throw new Error('the lab is disposed');
}

/** Registers a stop function that dispose() runs; returns the function that unregisters it. */
export function onDispose(lab: Lab, close: () => Promise<void>): () => void {
  const state = stateOf(lab);
  state.closers.add(close);
  return () => state.closers.delete(close);
}

/** Records a process group the lab started (its leader's pid), for dispose, exit clean-up and livePids. */
export function trackGroup(lab: Lab, pgid: number): void {
  stateOf(lab).groupsEver.add(pgid);
  liveGroups.add(pgid);
}

/** Called once a group is known to be gone, so the exit handler never signals a reused pid. */
export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

let exitCleanupInstalled = false;

// A test that crashes or is killed never reaches dispose(): SIGKILL the daemons' groups
// synchronously on the way out so nothing keeps running, and drop the temp dirs.
function installExitCleanup(): void {
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  process.on('exit', cleanUpSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanUpSync();
      // Only stand in for the default action when nobody else handles the signal.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

function cleanUpSync(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  liveGroups.clear();
  for (const root of liveRoots) {
    try {
      rmSync(root, { recursive: true, force: true });
    } catch {
      // Best effort on the way out.
    }
  }
  liveRoots.clear();
}
