import { futureError } from './freshness.js';
import type { Freshness } from './types.js';

/** Largest trace read: a trace is one line; anything past this is never looked at. */
export const TRACE_MAX_BYTES = 64 * 1024;

export type TraceParse = Freshness | { readonly error: string; readonly future?: true };

/**
 * Reads a trace file: the date on its first line (ISO 8601, RFC 2822, `date -u` output or Unix
 * seconds), SageMath's `zzz/timestamp.html` (the date before the first ` / ` inside `<pre>`, the
 * rest as identity), and Debian's `Archive serial:` as identity. Pure: `now` plus
 * `maxSkewSeconds` bounds the future. The text is hostile: it is cut to TRACE_MAX_BYTES first,
 * and every step is a scan with indexOf or an anchored pattern on one short line, so the time is
 * linear in the (capped) size whatever it holds.
 */
export function parseTrace(text: string, now: Date = new Date(), maxSkewSeconds: number = DAY_SECONDS): TraceParse {
  const body = text.slice(0, TRACE_MAX_BYTES).replace(/^\uFEFF/, '');
  const pre = preBlock(body);
  const where = pre === undefined ? 'the first line' : 'the <pre> block';
  const line = firstLine(pre ?? body);
  if (line === undefined) return { error: pre === undefined ? 'the trace is empty' : 'the <pre> block is empty' };

  // SageMath's `date GMT / version / version / md5 / md5`: the date comes first.
  const separator = line.indexOf(' / ');
  const datePart = separator < 0 ? line : line.slice(0, separator).trim();
  const sageIdentity = separator < 0 ? '' : line.slice(separator + 3).trim();

  // mirrorsync's own `.mirrorsync/trace` puts facts after an ISO date on the same line.
  const at = datePart.length > MAX_DATE_CHARS ? parseLeadingIsoToken(datePart) : (parseDate(datePart) ?? parseLeadingIsoToken(datePart));
  if (at === undefined) return { error: `no date found in ${where}: ${quote(line)}` };
  if (at.getTime() < EARLIEST) return { error: `the date ${quote(datePart)} is before 1990` };
  const future = futureError(at, now, maxSkewSeconds);
  if (future !== undefined) return { error: future, future: true };

  const identity = sageIdentity !== '' ? sageIdentity : archiveSerial(body);
  return identity === undefined ? { at } : { at, identity };
}

/** The text inside the first `<pre ...>`, up to `</pre>` or the end; undefined without one. */
function preBlock(body: string): string | undefined {
  const lower = body.toLowerCase();
  const open = lower.indexOf('<pre');
  if (open < 0) return undefined;
  // Every later `<pre` lies before the same next `>`: if the first has none, none has.
  const close = lower.indexOf('>', open + 4);
  if (close < 0) return undefined;
  const end = lower.indexOf('</pre>', close + 1);
  return body.slice(close + 1, end < 0 ? body.length : end);
}

const EARLIEST = Date.UTC(1990, 0, 1);
const DAY_SECONDS = 24 * 3600;
// The longest date any accepted format writes; a longer line is tried only as `ISO-token key=value`.
const MAX_DATE_CHARS = 64;
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
  const space = text.search(/\s/);
  if (space < 0 || space > MAX_DATE_CHARS) return undefined;
  const token = text.slice(0, space);
  const next = text.slice(space).trimStart();
  const nextWord = next.slice(0, Math.max(0, next.search(/\s|$/)));
  if (!/^\d{4}-\d{2}-\d{2}T/.test(token) || !nextWord.includes('=')) return undefined;
  return parseDate(token);
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
  for (const line of text.split(/\r\n|\n|\r/)) {
    const trimmed = line.trim();
    if (trimmed !== '') return trimmed;
  }
  return undefined;
}

// Line by line with startsWith: a pattern with a lazy `.*?` before `\s*$` is quadratic on a line of blanks.
function archiveSerial(text: string): string | undefined {
  const label = 'Archive serial:';
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (!line.startsWith(label)) continue;
    const value = line.slice(label.length).trim();
    if (value !== '') return value;
  }
  return undefined;
}

// Quotes a line from an untrusted file for a message: bounded, control characters made visible.
function quote(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return `'${shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}
