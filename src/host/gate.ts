import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { RsyncAddress } from '../sources/address.js';
import type { PassGate } from '../sync/pass-gate.js';
import type { HeldLock } from '../sync/lock.js';
import { countHeldSlots, takeSlot } from './slots.js';
import type { HostSettings } from './types.js';

const UPSTREAMS = 'upstreams';
export const JOBS = 'jobs';

/**
 * An upstream is a daemon address, host and port (the default port named as such): that is what
 * an rsync daemon's `max connections` and an operator's ban count. Made safe as a folder name.
 */
export function upstreamKey(address: Pick<RsyncAddress, 'host' | 'port'>): string {
  return `${address.host.toLowerCase().replace(/[^a-z0-9.-]/g, '_')}_${address.port}`;
}

export function upstreamDir(host: HostSettings, address: Pick<RsyncAddress, 'host' | 'port'>): string {
  return join(host.stateDir, UPSTREAMS, upstreamKey(address));
}

/**
 * The host's limits around each attempt at a source: a connection slot of that source's upstream
 * (waited for; failover to another source takes that source's slot), the job slot and the
 * upstream slot handed to every rsync child, and a share of the bandwidth budget per pass.
 */
export function hostGate(host: HostSettings, jobSlot: HeldLock, logger: Logger): PassGate {
  return {
    async enter(address, signal) {
      const dir = upstreamDir(host, address);
      const slot = await takeSlot({ dir, size: host.maxConnectionsPerUpstream }, signal, () =>
        logger.info({ upstream: upstreamKey(address), maxConnectionsPerUpstream: host.maxConnectionsPerUpstream }, `waiting for a connection slot of ${address.host}:${address.port}`),
      );
      return {
        fds: [jobSlot.fd, slot.fd],
        bwlimitKBps: () => bandwidthShare(host),
        release: () => slot.release(),
      };
    },
  };
}

/**
 * The budget divided by the passes running now on the host (every held upstream slot, this one
 * included), fixed for the pass that asks: a pass that starts later gets a smaller share, one that
 * ends leaves its share unused until the next pass starts.
 */
export function bandwidthShare(host: HostSettings): number | undefined {
  if (host.bwlimitKBps === 0) return undefined;
  const root = join(host.stateDir, UPSTREAMS);
  let dirs: string[];
  try {
    dirs = readdirSync(root).map((name) => join(root, name));
  } catch {
    dirs = [];
  }
  return Math.max(1, Math.floor(host.bwlimitKBps / Math.max(1, countHeldSlots(dirs))));
}
