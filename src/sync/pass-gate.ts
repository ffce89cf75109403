import type { RsyncAddress } from '../sources/address.js';

/**
 * What a host (a config dir with limits) puts around each attempt at a source: the sync waits in
 * enter() for the host's limits, and the ticket is held until the attempt ends.
 */
export interface PassGate {
  enter(address: RsyncAddress, signal: AbortSignal): Promise<PassTicket>;
}

export interface PassTicket {
  /** Descriptors every rsync child of the attempt keeps open (flock slots that outlive a killed parent). */
  readonly fds: readonly number[];
  /** This pass's share of the host's bandwidth, fixed when the pass starts; undefined = no limit. */
  bwlimitKBps(): number | undefined;
  release(): Promise<void>;
}
