import { parseDuration } from '../util/duration.js';
import { parseCron } from './cron.js';
import { DEFAULT_EVERY_SECONDS, parseTimeOfDay, type DailyWindow, type Schedule } from './due.js';

/** A mirror file's `schedule`, as written in JSON. */
export interface ScheduleText {
  readonly every?: string | undefined;
  readonly cron?: string | undefined;
  readonly notBetween?: readonly string[] | undefined;
}

/**
 * Turns a mirror's `schedule` into the form the due functions use; a sentence when it is wrong
 * (the config validator reports it with the file and the field). No `schedule`: every 6h.
 */
export function readSchedule(text: ScheduleText | undefined): Schedule | string {
  const notBetween = readWindow(text?.notBetween);
  if (typeof notBetween === 'string') return notBetween;
  if (text?.every !== undefined && text.cron !== undefined) return 'give either "every" or "cron", not both';
  if (text?.cron !== undefined) {
    const cron = parseCron(text.cron);
    return typeof cron === 'string' ? `cron: ${cron}` : { kind: 'cron', cron, notBetween };
  }
  if (text?.every === undefined) return { kind: 'every', seconds: DEFAULT_EVERY_SECONDS, notBetween };
  const seconds = parseDuration(text.every);
  if (seconds === undefined || seconds < 60) return `every: "${text.every}" is not a duration of a minute or more (try 30m, 6h, 1d)`;
  return { kind: 'every', seconds, notBetween };
}

function readWindow(pair: readonly string[] | undefined): DailyWindow | undefined | string {
  if (pair === undefined) return undefined;
  if (pair.length !== 2) return 'notBetween: give two times of day, ["08:00", "20:00"]';
  const [from, to] = pair.map((text) => parseTimeOfDay(text));
  if (from === undefined || to === undefined) return `notBetween: ${JSON.stringify(pair)} are not two HH:MM times (24-hour, local time)`;
  if (from === to) return 'notBetween: the window starts and ends at the same time';
  return { from, to };
}
