import { Fields, readObject, type Problems } from '../config/fields.js';
import { indexPath } from '../config/json-path.js';
import type { Checked } from '../config/rules.js';
import { describeValue, quote } from '../config/show.js';
import { parseDuration } from '../util/duration.js';
import { parseCron } from '../schedule/cron.js';
import { checkFilterRule } from '../sync/partial-filters.js';
import { HOST_KEYS } from './defaults.js';
import type { Schedule } from './types.js';

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;
// Under a minute is a loop, over a year a typo.
const EVERY_BOUNDS = { min: 60, max: 366 * 86_400 };

/** A mirror file's `schedule`: exactly one of `every` (a duration) or `cron`, and maybe `notBetween`. */
export function readSchedule(value: unknown, problems: Problems): Schedule | undefined {
  if (value === undefined) return undefined;
  const object = readObject(value, 'schedule', HOST_KEYS.schedule, problems);
  if (object === undefined) return undefined;
  const fields = new Fields(object, 'schedule', problems);
  const before = problems.list.length;
  const everyText = fields.string('every');
  const every = everyText === undefined ? undefined : fields.take('every', checkEvery(everyText));
  // The grammar `--due` reads (schedule/cron.ts), so whatever loads also runs.
  const cron = fields.string('cron', (text) => {
    const spec = parseCron(text);
    if (typeof spec === 'string') return { error: `must be a five-field cron expression (minute hour day month weekday): ${spec}, got ${quote(text)}` };
    return { value: text.trim().split(/\s+/).join(' ') };
  });
  const notBetween = readWindow(fields.raw('notBetween'), problems);
  if (fields.has('every') === fields.has('cron')) problems.add('schedule', "must hold exactly one of 'every' or 'cron'");
  if (problems.list.length > before) return undefined;
  const window = notBetween === undefined ? {} : { notBetween };
  if (every !== undefined) return { kind: 'every', seconds: every, ...window };
  return cron === undefined ? undefined : { kind: 'cron', expression: cron, ...window };
}

function checkEvery(text: string): Checked<number> {
  const seconds = parseDuration(text);
  if (seconds === undefined) return { error: `must be a duration such as 30m, 6h or 1d, got ${quote(text)}` };
  if (seconds < EVERY_BOUNDS.min || seconds > EVERY_BOUNDS.max) return { error: `must be from 1m to 366d, got ${quote(text)}` };
  return { value: seconds };
}

function readWindow(value: unknown, problems: Problems): readonly [string, string] | undefined {
  if (value === undefined) return undefined;
  const ok = Array.isArray(value) && value.length === 2 && value.every((item) => typeof item === 'string' && CLOCK.test(item));
  if (!ok) {
    problems.add('schedule.notBetween', `must be two local times ["HH:MM", "HH:MM"] (from, to), got ${describeValue(value)}`);
    return undefined;
  }
  const [from, to] = value as [string, string];
  if (from === to) {
    problems.add('schedule.notBetween', 'from and to are equal: the window would be empty or the whole day');
    return undefined;
  }
  return [from, to];
}

const MAX_RULES = 1000;

/** A mirror file's `filters`: `- PATTERN`, `+ PATTERN` or `P PATTERN`, nothing that could reach our own files. */
export function readFilters(value: unknown, problems: Problems): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add('filters', `must be an array of rsync filter rules such as "- /arm64/", got ${describeValue(value)}`);
    return [];
  }
  if (value.length > MAX_RULES) problems.add('filters', `holds ${value.length} rules; at most ${MAX_RULES}`);
  const before = problems.list.length;
  value.forEach((item: unknown, index) => {
    const problem = typeof item === 'string' ? checkFilterRule(item) : `must be a string, got ${describeValue(item)}`;
    if (problem !== undefined) problems.add(indexPath('filters', index), problem);
  });
  return problems.list.length > before ? [] : (value as string[]).slice();
}
