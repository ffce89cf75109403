/** One `--info=progress2` update: the whole pass so far. */
export interface PassProgress {
  readonly bytes: number;
  readonly percent: number;
  /** As rsync prints it, e.g. "1.23MB/s". */
  readonly rate: string;
  /** As rsync prints it, e.g. "0:00:12". */
  readonly eta: string;
}

// "      1,234,567  45%    1.23MB/s    0:00:12 (xfr#3, to-chk=10/20)"
const PROGRESS = /^\s*([\d,.]+)\s+(\d{1,3})%\s+(\S+\/s)\s+(\d+:\d{2}:\d{2})/;

export function parseProgress(segment: string): PassProgress | undefined {
  const match = PROGRESS.exec(segment);
  if (match === null) return undefined;
  const [, bytes = '0', percent = '0', rate = '', eta = ''] = match;
  return { bytes: Number(bytes.replace(/[,.]/g, '')), percent: Number(percent), rate, eta };
}

/**
 * rsync redraws its progress with carriage returns inside one output line; splits such a line
 * into the progress updates and the ordinary text around them.
 */
export function splitProgress(line: string): { text: string[]; progress: PassProgress | undefined } {
  if (!line.includes('\r') && !PROGRESS.test(line)) return { text: [line], progress: undefined };
  const text: string[] = [];
  let progress: PassProgress | undefined;
  for (const segment of line.split('\r')) {
    const parsed = parseProgress(segment);
    if (parsed !== undefined) progress = parsed;
    else if (segment.trim() !== '') text.push(segment);
  }
  return { text, progress };
}
