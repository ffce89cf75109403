import type { SyncMode } from '../sources/rank.js';

export type RequestedMode = 'auto' | SyncMode;

/** `auto` bootstraps (initial) while the mirror has never been complete, else keeps it current. */
export function resolveMode(requested: RequestedMode, bootstrapping: boolean): SyncMode {
  if (requested !== 'auto') return requested;
  return bootstrapping ? 'initial' : 'incremental';
}
