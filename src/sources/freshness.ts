import { formatDuration } from '../util/duration.js';
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

/**
 * Why a date cannot be a publication yet: later than this host's clock plus the allowed skew.
 * A source that dates its trace ahead would otherwise rank as the freshest and capture the mirror.
 */
export function futureError(at: Date, now: Date, maxSkewSeconds: number): string | undefined {
  const aheadSeconds = Math.round((at.getTime() - now.getTime()) / 1000);
  if (aheadSeconds <= maxSkewSeconds) return undefined;
  return `dated ${at.toISOString()}, ${formatDuration(aheadSeconds)} ahead of this host's clock (more than probe.maxClockSkewSeconds, ${maxSkewSeconds} s)`;
}
