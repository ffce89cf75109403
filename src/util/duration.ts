const UNITS: ReadonlyArray<readonly [suffix: string, seconds: number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** "3d 4h", "2h 5m", "45s": the two largest units, for tables and reasons. */
export function formatDuration(totalSeconds: number): string {
  const sign = totalSeconds < 0 ? '-' : '';
  let rest = Math.round(Math.abs(totalSeconds));
  const parts: string[] = [];
  for (const [suffix, size] of UNITS) {
    if (rest >= size || (suffix === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${suffix}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return sign + parts.join(' ');
}

/** Parses "90", "90s", "10m", "2h", "2d", "1h30m" into seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const pattern = /\s*(\d+)\s*([dhms])/gy;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(pattern)) {
    const [whole, amount, unit] = match;
    const size = UNITS.find(([suffix]) => suffix === unit)?.[1];
    if (amount === undefined || size === undefined) return undefined;
    total += Number(amount) * size;
    consumed += whole.length;
  }
  return consumed === trimmed.length && consumed > 0 ? total : undefined;
}
