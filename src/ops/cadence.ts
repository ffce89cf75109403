import { createHash } from 'node:crypto';
import { MirrorsyncError } from '../errors.js';

/**
 * When a scheduled sync runs: every `step` minutes starting at `minute`, or every `step` hours
 * starting at `hour`, at `minute` past the hour. A grid, not a period, so cron, systemd's
 * OnCalendar and a Kubernetes CronJob all express the same times.
 */
export type Cadence =
  | { readonly unit: 'minutes'; readonly step: number; readonly minute: number }
  | { readonly unit: 'hours'; readonly step: number; readonly hour: number; readonly minute: number };

/** Steps that divide the hour, and steps that divide the day: the only evenly spaced grids cron has. */
const MINUTE_STEPS: readonly number[] = [5, 6, 10, 12, 15, 20, 30];
const HOUR_STEPS: readonly number[] = [1, 2, 3, 4, 6, 8, 12, 24];

const ALLOWED = 'every 5m, 6m, 10m, 12m, 15m, 20m or 30m (a step that divides the hour), or every 1h, 2h, 3h, 4h, 6h, 8h, 12h or 24h (a step that divides the day)';

/**
 * Turns `--every` into a grid. The offsets come from `seed` (the mirror's name), so mirrors that
 * share a master start at different minutes, and a given mirror keeps its minute from one
 * install to the next; without a seed (a template for many mirrors) they are 0.
 * Throws usage.invalid for a period no grid expresses.
 */
export function planCadence(everySeconds: number, seed: string | undefined, format: string): Cadence {
  const reject = (why: string): never => {
    throw new MirrorsyncError('usage.invalid', `--every ${showPeriod(everySeconds)} cannot be expressed as a ${format} schedule: ${why}; use ${ALLOWED}`, {
      details: { everySeconds, format },
    });
  };
  if (!Number.isInteger(everySeconds) || everySeconds <= 0) return reject('it is not a positive number of seconds');
  if (everySeconds % 60 !== 0) return reject('schedules run on whole minutes');
  const minutes = everySeconds / 60;
  if (minutes < 5) return reject('more often than every 5 minutes only loads the upstream mirrors');
  const [a, b] = offsets(seed);
  if (minutes < 60) {
    if (!MINUTE_STEPS.includes(minutes)) return reject(`${minutes} minutes does not divide the hour, so the runs would not be evenly spaced`);
    return { unit: 'minutes', step: minutes, minute: a % minutes };
  }
  if (minutes % 60 !== 0) return reject('between 1h and 24h the period must be whole hours');
  const hours = minutes / 60;
  if (hours > 24) return reject('the longest period is a day');
  if (!HOUR_STEPS.includes(hours)) return reject(`${hours} hours does not divide the day, so the runs would not be evenly spaced`);
  return { unit: 'hours', step: hours, hour: b % hours, minute: a % 60 };
}

function offsets(seed: string | undefined): [number, number] {
  if (seed === undefined) return [0, 0];
  const digest = createHash('sha256').update(seed).digest();
  return [digest.readUInt32BE(0), digest.readUInt32BE(4)];
}

/** The five cron fields (also a Kubernetes CronJob's `schedule`). */
export function cronExpression(cadence: Cadence): string {
  if (cadence.unit === 'minutes') {
    const minutes = cadence.minute === 0 ? `*/${cadence.step}` : `${cadence.minute}-59/${cadence.step}`;
    return `${minutes} * * * *`;
  }
  if (cadence.step === 1) return `${cadence.minute} * * * *`;
  if (cadence.step === 24) return `${cadence.minute} ${cadence.hour} * * *`;
  const hours = cadence.hour === 0 ? `*/${cadence.step}` : `${cadence.hour}-23/${cadence.step}`;
  return `${cadence.minute} ${hours} * * *`;
}

/** systemd's OnCalendar= for the same times (see systemd.time(7), "start/repetition"). */
export function onCalendar(cadence: Cadence): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  if (cadence.unit === 'minutes') return `*-*-* *:${two(cadence.minute)}/${cadence.step}:00`;
  if (cadence.step === 1) return `*-*-* *:${two(cadence.minute)}:00`;
  if (cadence.step === 24) return `*-*-* ${two(cadence.hour)}:${two(cadence.minute)}:00`;
  return `*-*-* ${two(cadence.hour)}/${cadence.step}:${two(cadence.minute)}:00`;
}

/** The period in seconds. */
export function cadenceSeconds(cadence: Cadence): number {
  return cadence.step * (cadence.unit === 'minutes' ? 60 : 3600);
}

/** "every 10m, at minute 3 of each 10" — for the comments above what we print. */
export function describeCadence(cadence: Cadence): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  if (cadence.unit === 'minutes') return `every ${cadence.step}m (minutes ${cadence.minute}, ${cadence.minute + cadence.step}, ... of each hour)`;
  if (cadence.step === 1) return `every hour at minute ${cadence.minute}`;
  if (cadence.step === 24) return `once a day at ${two(cadence.hour)}:${two(cadence.minute)}`;
  return `every ${cadence.step}h (at ${two(cadence.hour)}:${two(cadence.minute)}, then every ${cadence.step} hours)`;
}

function showPeriod(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
