import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPathFor } from '../report/atomic-write.js';
import { stateDir } from '../report/state-dir.js';
import { CREATE_NEW } from '../util/no-follow.js';
import type { RsyncOutcome } from './rsync-exit.js';

const PROBE_BYTES = 64 * 1024;

/**
 * rsync's "local" failures (exit 11, or 23 with a receiver-side write error) stop the run with no
 * failover, since every source would fail the same way. But the words and even the exit code can
 * come from a patched sender (rsync relays the sender's messages and error exit), and one hostile
 * alternate ranked first would then block every run. So a local failure is believed only when our
 * side really refuses: the target's filesystem has no room, or a small write into the state folder
 * fails. Otherwise it is taken as this source's failure, and the run fails over.
 */
export async function confirmLocalFailure(outcome: RsyncOutcome, target: string): Promise<RsyncOutcome> {
  if (outcome.class !== 'local' || outcome.exitCode === null) return outcome;
  const refusal = await localRefusal(target);
  if (refusal !== undefined) return { ...outcome, reason: `${outcome.reason} (confirmed: ${refusal})` };
  return {
    ...outcome,
    class: 'transient',
    reason: `${outcome.reason}; but the target has room and accepts writes, so this is taken as the source's failure, not ours`,
  };
}

/** Why the target refuses writes, or undefined when a test write succeeds. */
async function localRefusal(target: string): Promise<string | undefined> {
  try {
    const info = await statfs(target);
    if (info.bavail * info.bsize < PROBE_BYTES) return 'the target filesystem is full';
  } catch (error) {
    return `cannot inspect the target: ${error instanceof Error ? error.message : String(error)}`;
  }
  const probe = tempPathFor(join(stateDir(target), 'write-check'));
  try {
    const handle = await open(probe, CREATE_NEW, 0o600);
    try {
      await handle.write(Buffer.alloc(PROBE_BYTES));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return undefined;
  } catch (error) {
    return `a test write failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}
