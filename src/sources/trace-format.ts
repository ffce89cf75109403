import type { Freshness } from './types.js';

/**
 * Reads a trace file: the date on its first line (ISO 8601, RFC 2822, `date -u` output or Unix
 * seconds), SageMath's `zzz/timestamp.html` (the date before the first ` / ` inside `<pre>`, the
 * rest as identity), and Debian's `Archive serial:` as identity. Pure: `now` bounds the future.
 */
export function parseTrace(text: string, now: Date = new Date()): Freshness | { error: string } {
  const body = text.replace(/^\uFEFF/, '');
  const pre = /<pre[^>]*>([\s\S]*?)(?:<\/pre>|$)/i.exec(body);
  const where = pre === null ? 'the first line' : 'the <pre> block';
  const line = firstLine(pre === null ? body : (pre[1] ?? ''));
  if (line === undefined) return { error: pre === null ? 'the trace is empty' : 'the <pre> block is empty' };

  // SageMath's `date GMT / version / version / md5 / md5`: the date comes first.
  const separator = line.indexOf(' / ');
  const datePart = separator < 0 ? line : line.slice(0, separator).trim();
  const sageIdentity = separator < 0 ? '' : line.slice(separator + 3).trim();

  // mirrorsync's own `.mirrorsync/trace` puts facts after an ISO date on the same line.
  const at = parseDate(datePart) ?? parseLeadingIsoToken(datePart);
  if (at === undefined) return { error: `no date found in ${where}: ${quote(line)}` };
  if (at.getTime() < EARLIEST) return { error: `the date ${quote(datePart)} is before 1990` };
  if (at.getTime() > now.getTime() + DAY_MS) {
    return { error: `the date ${quote(datePart)} is more than a day in the future` };
  }

  const identity = sageIdentity !== '' ? sageIdentity : archiveSerial(body);
  return identity === undefined ? { at } : { at, identity };
}

const EARLIEST = Date.UTC(1990, 0, 1);
const DAY_MS = 24 * 3600 * 1000;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAME = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH_NAME = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const ZONE = '(Z|UT|UTC|GMT|[ECMP][SD]T|[+-]\\d{2}:?\\d{2})';
// RFC 2822's named zones; other abbreviations are ambiguous and rejected.
const NAMED_ZONES: Readonly<Record<string, number>> = {
  Z: 0, UT: 0, UTC: 0, GMT: 0, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
};

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const RFC2822 = new RegExp(`^(?:${DAY_NAME},?\\s*)?(\\d{1,2})\\s+${MONTH_NAME}\\s+(\\d{4})\\s+(\\d{2}):(\\d{2})(?::(\\d{2}))?\\s*${ZONE}?$`, 'i');
const DATE_CMD = new RegExp(`^${DAY_NAME}\\s+${MONTH_NAME}\\s+(\\d{1,2})\\s+(\\d{2}):(\\d{2}):(\\d{2})\\s+(?:${ZONE}\\s+)?(\\d{4})$`, 'i');
const UNIX = /^\d{1,12}(?:\.\d+)?$/;

function parseDate(text: string): Date | undefined {
  if (UNIX.test(text)) return new Date(Math.round(Number(text) * 1000));
  let m = ISO.exec(text);
  if (m !== null) return build(m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]);
  m = RFC2822.exec(text);
  if (m !== null) return build(m[3], monthNumber(m[2]), m[1], m[4], m[5], m[6], undefined, m[7]);
  m = DATE_CMD.exec(text);
  if (m !== null) return build(m[7], monthNumber(m[1]), m[2], m[3], m[4], m[5], undefined, m[6]);
  return undefined;
}

function parseLeadingIsoToken(text: string): Date | undefined {
  const token = /^(\d{4}-\d{2}-\d{2}T\S+)\s+\S+=/.exec(text)?.[1];
  return token === undefined ? undefined : parseDate(token);
}

function monthNumber(name: string | undefined): string {
  return String(MONTHS.indexOf((name ?? '').toLowerCase()) + 1);
}

// Builds a UTC date from parts, refusing impossible ones (Feb 30, 25:00) instead of rolling over.
function build(
  year: string | undefined, month: string | undefined, day: string | undefined,
  hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z',
): Date | undefined {
  const parts = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = parts;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  const offset = zoneOffsetMinutes(zone);
  if (offset === undefined) return undefined;
  const local = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), Math.round(Number(`0.${fraction || '0'}`) * 1000));
  if (new Date(local).getUTCDate() !== d) return undefined;
  return new Date(local - offset * 60_000);
}

function zoneOffsetMinutes(zone: string): number | undefined {
  const named = NAMED_ZONES[zone.toUpperCase()];
  if (named !== undefined) return named;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (m === null) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? '0');
  if (Number(m[2]) > 14 || Number(m[3] ?? '0') > 59) return undefined;
  return m[1] === '-' ? -minutes : minutes;
}

function firstLine(text: string): string | undefined {
  for (const line of text.split(/\r?\n|\r/)) {
    const trimmed = line.trim();
    if (trimmed !== '') return trimmed;
  }
  return undefined;
}

function archiveSerial(text: string): string | undefined {
  const m = /^Archive serial:[ \t]*(\S.*?)\s*$/m.exec(text);
  return m?.[1];
}

// Quotes a line from an untrusted file for a message: bounded, control characters made visible.
function quote(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return `'${shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}
