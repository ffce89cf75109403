/**
 * When a mirror of the host is due (`sync --all --due`) and when it runs next (`status --all`):
 * pure functions of the mirror's schedule, its last start, a pending trigger and the time.
 *
 * - `every`: runs fall on a grid of that period, shifted by an offset that comes from the
 *   mirror's name, so mirrors sharing an upstream start at different times, and a mirror keeps
 *   its times from one day to the next. A mirror is due once a grid time has passed since its
 *   last start.
 * - `cron`: due once a time the expression names has passed since its last start. The operator
 *   chose those minutes, so they are taken as written (no offset).
 * - `notBetween`: nothing starts inside that daily window, not even a triggered run; what falls
 *   in it (a grid time, a trigger) waits for the window's end and is never dropped.
 * Times of day (cron, notBetween) are the host's local time, as cron reads them (TZ decides).
 */
import { createHash } from 'node:crypto';
import { nextCronFire, previousCronFire, type CronSpec } from './cron.js';

/** A daily window as minutes of the day; `from > to` wraps across midnight. */
export interface DailyWindow {
  readonly from: number;
  readonly to: number;
}

export type Schedule =
  | { readonly kind: 'every'; readonly seconds: number; readonly notBetween?: DailyWindow | undefined }
  | { readonly kind: 'cron'; readonly cron: CronSpec; readonly notBetween?: DailyWindow | undefined };

/** A mirror without `schedule` syncs as often as `mirrorsync schedule` would have it: every 6h. */
export const DEFAULT_EVERY_SECONDS = 6 * 3600;

export interface DueInput {
  readonly name: string;
  readonly schedule: Schedule;
  /** The last run's start (status.json `startedAt`); null when it never ran. */
  readonly lastStart: Date | null;
  readonly triggerPending: boolean;
  readonly now: Date;
}

export type DueVerdict =
  | { readonly due: true; readonly why: 'trigger' | 'schedule' | 'never ran' }
  | { readonly due: false; readonly why: 'not yet' | 'inside notBetween'; readonly next: Date };

export function dueVerdict(input: DueInput): DueVerdict {
  const wanted = input.triggerPending ? 'trigger' : input.lastStart === null ? 'never ran' : slotPassed(input) ? 'schedule' : undefined;
  if (wanted !== undefined && !insideWindow(input.schedule.notBetween, input.now)) return { due: true, why: wanted };
  return { due: false, why: wanted === undefined ? 'not yet' : 'inside notBetween', next: nextRun(input) };
}

/** When the mirror runs next: `now` when due, else its next grid or cron time, moved out of notBetween. */
export function nextRun(input: DueInput): Date {
  const { schedule, now } = input;
  let next = input.triggerPending || input.lastStart === null ? now : (nextSlot(input.name, schedule, input.lastStart) ?? farFuture(now));
  if (next.getTime() < now.getTime()) next = now;
  return leaveWindow(schedule.notBetween, next);
}

function slotPassed(input: DueInput): boolean {
  if (input.lastStart === null) return true;
  const next = nextSlot(input.name, input.schedule, input.lastStart);
  return next !== null && next.getTime() <= input.now.getTime();
}

/** The first scheduled time strictly after `after`. */
function nextSlot(name: string, schedule: Schedule, after: Date): Date | null {
  if (schedule.kind === 'cron') return nextCronFire(schedule.cron, after);
  const period = schedule.seconds * 1000;
  const offset = offsetMs(name, schedule.seconds);
  const k = Math.floor((after.getTime() - offset) / period) + 1;
  return new Date(k * period + offset);
}

/** The last scheduled time at or before `at` (for tests and the table). */
export function previousSlot(name: string, schedule: Schedule, at: Date): Date | null {
  if (schedule.kind === 'cron') return previousCronFire(schedule.cron, at);
  const period = schedule.seconds * 1000;
  const offset = offsetMs(name, schedule.seconds);
  return new Date(Math.floor((at.getTime() - offset) / period) * period + offset);
}

/** The mirror's fixed place in its period, on whole minutes, from its name. */
export function offsetMs(name: string, periodSeconds: number): number {
  const minutes = Math.max(1, Math.floor(periodSeconds / 60));
  const hash = createHash('sha256').update(name).digest().readUInt32BE(0);
  return (hash % minutes) * 60_000;
}

export function insideWindow(window: DailyWindow | undefined, at: Date): boolean {
  if (window === undefined || window.from === window.to) return false;
  const minute = at.getHours() * 60 + at.getMinutes();
  return window.from < window.to ? minute >= window.from && minute < window.to : minute >= window.from || minute < window.to;
}

/** `at`, or the end of the window when `at` falls inside it. */
function leaveWindow(window: DailyWindow | undefined, at: Date): Date {
  if (window === undefined || !insideWindow(window, at)) return at;
  const end = new Date(at.getFullYear(), at.getMonth(), at.getDate(), Math.floor(window.to / 60), window.to % 60);
  if (end.getTime() <= at.getTime()) end.setDate(end.getDate() + 1);
  return end;
}

function farFuture(now: Date): Date {
  return new Date(now.getTime() + 366 * 86_400_000);
}

/** "08:00" → 480; undefined when not HH:MM. */
export function parseTimeOfDay(text: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return match === null ? undefined : Number(match[1]) * 60 + Number(match[2]);
}
