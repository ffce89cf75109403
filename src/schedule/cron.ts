/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), read the way Vixie
 * cron reads them, in the host's local time: numbers, `*`, ranges `a-b`, steps `*\/n` and
 * `a-b/n`, lists, and month and weekday names. When both day fields are restricted, a day
 * matches either (cron's own rule). Parsing is linear in the text and never backtracks.
 */
export interface CronSpec {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
  /** Whether each day field was `*`: decides cron's OR rule between the two. */
  readonly anyDayOfMonth: boolean;
  readonly anyDayOfWeek: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldShape {
  readonly what: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly namesFrom?: number;
}

const FIELDS: readonly FieldShape[] = [
  { what: 'minute', min: 0, max: 59 },
  { what: 'hour', min: 0, max: 23 },
  { what: 'day of month', min: 1, max: 31 },
  { what: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  // 7 is Sunday too, as in every cron.
  { what: 'day of week', min: 0, max: 7, names: DAYS, namesFrom: 0 },
];

/** Parses a cron expression; returns the spec or a sentence saying what is wrong. */
export function parseCron(text: string): CronSpec | string {
  if (text.length > 200) return 'too long for a cron expression';
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5) return `a cron expression has 5 fields (minute hour day month weekday), this one has ${fields.length}`;
  const sets: Set<number>[] = [];
  for (const [index, shape] of FIELDS.entries()) {
    const parsed = parseField(fields[index] ?? '', shape);
    if (typeof parsed === 'string') return parsed;
    sets.push(parsed);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  if (daysOfWeek.delete(7)) daysOfWeek.add(0);
  return { minutes, hours, daysOfMonth, months, daysOfWeek, anyDayOfMonth: fields[2] === '*', anyDayOfWeek: fields[4] === '*' };
}

function parseField(field: string, shape: FieldShape): Set<number> | string {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined) return `${shape.what} "${field}": more than one "/"`;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) return `${shape.what} "${field}": the step after "/" must be a number from 1`;
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === '*') {
      [low, high] = [shape.min, shape.max];
    } else {
      const [first = '', last, more] = range.split('-');
      if (more !== undefined) return `${shape.what} "${field}": more than one "-"`;
      const a = value(first, shape);
      if (typeof a === 'string') return a;
      const b = last === undefined ? (stepText === undefined ? a : shape.max) : value(last, shape);
      if (typeof b === 'string') return b;
      if (b < a) return `${shape.what} "${field}": the range ${range} runs backwards`;
      [low, high] = [a, b];
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}

function value(text: string, shape: FieldShape): number | string {
  const named = shape.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (shape.namesFrom ?? 0);
  if (!/^\d{1,2}$/.test(text)) return `${shape.what}: "${text}" is not a number${shape.names === undefined ? '' : ' or a name'}`;
  const n = Number(text);
  if (n < shape.min || n > shape.max) return `${shape.what}: ${n} is outside ${shape.min}-${shape.max}`;
  return n;
}

/** Whether the spec fires at this local minute. */
export function cronMatches(spec: CronSpec, at: Date): boolean {
  return spec.minutes.has(at.getMinutes()) && spec.hours.has(at.getHours()) && dayMatches(spec, at);
}

function dayMatches(spec: CronSpec, day: Date): boolean {
  if (!spec.months.has(day.getMonth() + 1)) return false;
  const dom = spec.daysOfMonth.has(day.getDate());
  const dow = spec.daysOfWeek.has(day.getDay());
  if (spec.anyDayOfMonth || spec.anyDayOfWeek) return (spec.anyDayOfMonth || dom) && (spec.anyDayOfWeek || dow);
  return dom || dow;
}

// Four years and a day covers any date that exists at all (Feb 29).
const SEARCH_DAYS = 4 * 366 + 1;

/** The latest time at or before `at` (to the minute) the spec fires; null when it never fires. */
export function previousCronFire(spec: CronSpec, at: Date): Date | null {
  const day = new Date(at.getFullYear(), at.getMonth(), at.getDate());
  for (let i = 0; i < SEARCH_DAYS; i += 1) {
    if (dayMatches(spec, day)) {
      const sameDay = i === 0;
      for (let hour = sameDay ? at.getHours() : 23; hour >= 0; hour -= 1) {
        if (!spec.hours.has(hour)) continue;
        const top = sameDay && hour === at.getHours() ? at.getMinutes() : 59;
        for (let minute = top; minute >= 0; minute -= 1) {
          if (!spec.minutes.has(minute)) continue;
          const fire = new Date(day.getFullYear(), day.getMonth(), day.getDate(), hour, minute);
          // A local time that falls in a DST gap is moved forward by Date: keep it only if still not after `at`.
          if (fire.getTime() <= at.getTime()) return fire;
        }
      }
    }
    day.setDate(day.getDate() - 1);
  }
  return null;
}

/** The earliest time strictly after `after` (to the minute) the spec fires; null when it never fires. */
export function nextCronFire(spec: CronSpec, after: Date): Date | null {
  const from = new Date(after.getTime() + 60_000);
  const day = new Date(from.getFullYear(), from.getMonth(), from.getDate());
  for (let i = 0; i < SEARCH_DAYS; i += 1) {
    if (dayMatches(spec, day)) {
      const sameDay = i === 0;
      for (let hour = sameDay ? from.getHours() : 0; hour <= 23; hour += 1) {
        if (!spec.hours.has(hour)) continue;
        const bottom = sameDay && hour === from.getHours() ? from.getMinutes() : 0;
        for (let minute = bottom; minute <= 59; minute += 1) {
          if (!spec.minutes.has(minute)) continue;
          const fire = new Date(day.getFullYear(), day.getMonth(), day.getDate(), hour, minute);
          if (fire.getTime() > after.getTime()) return fire;
        }
      }
    }
    day.setDate(day.getDate() + 1);
  }
  return null;
}
