import type { Freshness } from './types.js';

/**
 * Orders two publications: negative when `a` is older. Same date with a different identity
 * (another version or hash published within the same minute) counts as newer, the way
 * ftpsync compares archive serials: a mirror must not mistake it for "nothing new".
 */
export function compareFreshness(a: Freshness, b: Freshness): number {
  const delta = a.at.getTime() - b.at.getTime();
  if (delta !== 0) return delta;
  if (a.identity !== undefined && b.identity !== undefined && a.identity !== b.identity) return 1;
  return 0;
}
