// A small cron(5) reader for tests: checks the five time fields and lists the times they name.

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/** The values one field names; throws with the reason when the field is not valid cron. */
export function expandField(text: string, min: number, max: number): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (match === null) throw new Error(`not a cron item: ${JSON.stringify(item)}`);
    const [, , from, to, step] = match;
    const start = from === undefined ? min : Number(from);
    const end = from === undefined ? max : to === undefined ? (step === undefined ? start : max) : Number(to);
    const by = step === undefined ? 1 : Number(step);
    if (start < min || end > max || start > end) throw new Error(`out of range ${min}-${max}: ${JSON.stringify(item)}`);
    if (by < 1 || by > max - min + 1) throw new Error(`bad step: ${JSON.stringify(item)}`);
    for (let value = start; value <= end; value += by) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

/** Checks the five fields of a cron line and returns the rest (the command). */
export function splitCronLine(line: string): { fields: string[]; command: string } {
  const match = /^(\S+) (\S+) (\S+) (\S+) (\S+) (.+)$/.exec(line);
  if (match === null) throw new Error(`not a cron line: ${JSON.stringify(line)}`);
  const fields = match.slice(1, 6) as string[];
  fields.forEach((field, index) => {
    const spec = FIELDS[index];
    if (spec === undefined) throw new Error('six fields');
    try {
      expandField(field, spec.min, spec.max);
    } catch (error) {
      throw new Error(`${spec.name}: ${(error as Error).message}`);
    }
  });
  return { fields, command: match[6] ?? '' };
}

/** Minutes of the day (0..1439) a cron expression fires at, for expressions that fire every day. */
export function minutesOfDay(expression: string): number[] {
  const { fields } = splitCronLine(`${expression} true`);
  const [minute = '', hour = '', dom = '', month = '', dow = ''] = fields;
  if (dom !== '*' || month !== '*' || dow !== '*') throw new Error(`not a daily expression: ${expression}`);
  const minutes = expandField(minute, 0, 59);
  return expandField(hour, 0, 23).flatMap((h) => minutes.map((m) => h * 60 + m));
}

/** The gaps between consecutive runs, around the clock (the last gap wraps to the next day). */
export function gapsMinutes(times: readonly number[]): number[] {
  return times.map((time, index) => ((times[index + 1] ?? (times[0] ?? 0) + 1440) - time));
}
