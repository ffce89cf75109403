/**
 * tunasync's value formats, which the status pages that read its `/jobs` parse: times as Go's
 * `2006-01-02 15:04:05 -0700` text (host local time) and as Unix seconds, and sizes as rsync's
 * `-h` figures ("1.33T"). A time that never happened is Go's zero time, as tunasync prints it.
 */
export const ZERO_TIME_TEXT = '0001-01-01 00:00:00 +0000';
/** Go's `time.Time{}.Unix()`. */
export const ZERO_TIME_TS = -62_135_596_800;

const two = (n: number): string => String(n).padStart(2, '0');

export function timeText(at: Date | null): string {
  if (at === null) return ZERO_TIME_TEXT;
  const offset = -at.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const zone = `${sign}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
  const date = `${String(at.getFullYear()).padStart(4, '0')}-${two(at.getMonth() + 1)}-${two(at.getDate())}`;
  return `${date} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())} ${zone}`;
}

export function timeStamp(at: Date | null): number {
  return at === null ? ZERO_TIME_TS : Math.floor(at.getTime() / 1000);
}

const UNITS = ['K', 'M', 'G', 'T', 'P'];

/** rsync's `-h` (units of 1000, two decimals): 999, 1.00K, 596.12G; "unknown" when not measured. */
export function humanSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return 'unknown';
  if (bytes < 1000) return String(Math.round(bytes));
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(2)}${UNITS[unit] ?? 'P'}`;
}

/** A date from status.json's ISO text; null when absent or unreadable. */
export function dateOf(iso: string | null | undefined): Date | null {
  if (iso === null || iso === undefined) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms);
}
