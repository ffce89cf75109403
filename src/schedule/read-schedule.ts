import type { Schedule as MirrorSchedule } from '../host/types.js';
import { parseCron } from './cron.js';
import { DEFAULT_EVERY_SECONDS, parseTimeOfDay, type Schedule } from './due.js';

/**
 * A mirror's checked `schedule` (host/mirror-extras.ts) in the form the due functions use; a
 * sentence when a cron field is out of range (the loader checks the shape, not the ranges).
 * No `schedule`: every 6h, like `mirrorsync schedule`'s default.
 */
export function dueSchedule(schedule: MirrorSchedule | undefined): Schedule | string {
  const window = schedule?.notBetween;
  const from = window === undefined ? undefined : parseTimeOfDay(window[0]);
  const to = window === undefined ? undefined : parseTimeOfDay(window[1]);
  const notBetween = from === undefined || to === undefined ? undefined : { from, to };
  if (schedule === undefined) return { kind: 'every', seconds: DEFAULT_EVERY_SECONDS, notBetween };
  if (schedule.kind === 'every') return { kind: 'every', seconds: schedule.seconds, notBetween };
  const cron = parseCron(schedule.expression);
  return typeof cron === 'string' ? `schedule.cron: ${cron}` : { kind: 'cron', cron, notBetween };
}
