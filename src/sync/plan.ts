import type { SyncMode } from '../sources/rank.js';

export type RequestedMode = 'auto' | SyncMode;

/** `auto` bootstraps (initial) when the target has nothing in it yet, else keeps it current. */
export function resolveMode(requested: RequestedMode, targetEmpty: boolean): SyncMode {
  if (requested !== 'auto') return requested;
  return targetEmpty ? 'initial' : 'incremental';
}
