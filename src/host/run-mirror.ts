import { join } from 'node:path';
import { MirrorsyncError } from '../errors.js';
import { stateDir } from '../report/status-file.js';
import { findLockHolder } from '../sync/lock-holders.js';
import { runSync, type SyncReport, type SyncRequest } from '../sync/run-sync.js';
import { checkDiskFloor } from './disk-floor.js';
import { hostGate, JOBS } from './gate.js';
import { isFlockHeld, takeSlot } from './slots.js';
import type { HostMirror, HostSettings } from './types.js';

export interface HostMirrorRun {
  readonly host: HostSettings;
  readonly mirror: HostMirror;
  /** The single-mirror request without what the mirror and the host decide. */
  readonly request: Omit<SyncRequest, 'config' | 'target' | 'gate' | 'filters'>;
}

/**
 * One mirror of a host: the single-mirror sync (its own lock, status, failover and safety rules)
 * inside the host's limits. A job slot is waited for first (held by every rsync child, like the
 * lock), then the disk floor is checked, before any probe or rsync starts.
 */
export async function syncHostMirror({ host, mirror, request }: HostMirrorRun): Promise<SyncReport> {
  const target = mirror.config.target;
  if (target === undefined) throw new MirrorsyncError('config.invalid', `${mirror.file}: target: is required in a mirror file`);
  // A mirror that another process syncs is reported at once, not after waiting for a job slot;
  // runSync's own lock stays the authority when the two start together.
  const lockPath = join(stateDir(target), 'lock');
  if (isFlockHeld(lockPath)) {
    const holder = findLockHolder(lockPath, undefined);
    throw new MirrorsyncError('lock.held', `another sync holds the lock ${lockPath}${holder === undefined ? '' : ` (PID ${holder.pid})`}`, { details: { pid: holder?.pid ?? null } });
  }
  const jobSlot = await takeSlot({ dir: join(host.stateDir, JOBS), size: host.maxConcurrentJobs }, request.signal, () =>
    request.logger.info({ maxConcurrentJobs: host.maxConcurrentJobs }, 'waiting for a job slot (maxConcurrentJobs)'),
  );
  try {
    await checkDiskFloor(target, host.minFreeBytes);
    return await runSync({ ...request, config: mirror.config, target, gate: hostGate(host, jobSlot, request.logger), filters: mirror.filters });
  } finally {
    await jobSlot.release();
  }
}
