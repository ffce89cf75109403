/** One `--info=progress2` update: the whole pass so far. */
export interface PassProgress {
  readonly bytes: number;
  readonly percent: number;
  /** As rsync prints it, e.g. "1.23MB/s". */
  readonly rate: string;
  /** The same in bytes per second (rsync's kB/MB/GB are powers of 1024), NaN when unreadable. */
  readonly bytesPerSecond: number;
  /** As rsync prints it, e.g. "0:00:12". */
  readonly eta: string;
}

// "      1,234,567  45%    1.23MB/s    0:00:12 (xfr#3, to-chk=10/20)"
const PROGRESS = /^\s*([\d,.]+)\s+(\d{1,3})%\s+(\S+\/s)\s+(\d+:\d{2}:\d{2})/;

export function parseProgress(segment: string): PassProgress | undefined {
  const match = PROGRESS.exec(segment);
  if (match === null) return undefined;
  const [, bytes = '0', percent = '0', rate = '', eta = ''] = match;
  return { bytes: Number(bytes.replace(/[,.]/g, '')), percent: Number(percent), rate, bytesPerSecond: rateInBytes(rate), eta };
}

const RATE_UNITS: Readonly<Record<string, number>> = { 'kB/s': 1024, 'MB/s': 1024 ** 2, 'GB/s': 1024 ** 3, 'TB/s': 1024 ** 4 };

// progress.c divides by 1024 before it picks "kB/s", "MB/s" or "GB/s".
function rateInBytes(rate: string): number {
  const match = /^([\d.]+)([kMGT]B\/s)$/.exec(rate);
  const unit = match?.[2] === undefined ? undefined : RATE_UNITS[match[2]];
  return match?.[1] === undefined || unit === undefined ? Number.NaN : Number(match[1]) * unit;
}
