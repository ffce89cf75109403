import { createHash } from 'node:crypto';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The trace files the lab can write: SageMath's timestamp page, dak's master trace, or a bare date. */
export type TraceFormat = 'sage' | 'debian' | 'iso' | 'unix';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (value: number, width = 2, fill = '0'): string => String(value).padStart(width, fill);

// Identities derive from the date, so two traces of the same publication are byte-identical.
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

function sageTrace(at: Date): string {
  const stamp = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())} GMT`;
  const identity = `9.6 / 9.6 / ${md5(`${stamp}/src`)} / ${md5(`${stamp}/bin`)}`;
  // The shape of SageMath's templates/mirror/zzz/timestamp.html.
  return [
    '',
    '        <html><head>',
    '   <meta http-equiv="refresh" content="60"/>',
    '   <META HTTP-EQUIV="Expire" content="0">',
    '   <style type="text/css">',
    '   body {padding: 0; margin: 2px; font-size:-1;}',
    '   p,div,pre {padding: 0; margin: 0;}',
    `   </style></head><body><pre>${stamp} / ${identity}</pre></body></html>`,
  ].join('\n');
}

/** `date -u` output: "Wed Apr 27 15:39:01 UTC 2016" (the day of month space-padded, like %e). */
export function formatDateCommand(at: Date): string {
  const time = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return `${DAYS[at.getUTCDay()]} ${MONTHS[at.getUTCMonth()]} ${pad(at.getUTCDate(), 2, ' ')} ${time} UTC ${at.getUTCFullYear()}`;
}

function rfc2822(at: Date): string {
  const time = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return `${DAYS[at.getUTCDay()]}, ${pad(at.getUTCDate())} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()} ${time} +0000`;
}

// dak numbers the day's publications; a quarter-hour counter keeps serials distinct per time.
function archiveSerial(at: Date): string {
  const run = at.getUTCHours() * 4 + Math.floor(at.getUTCMinutes() / 15);
  return `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}${pad(run)}`;
}

function debianTrace(at: Date): string {
  return [
    formatDateCommand(at),
    'Using dak v1',
    'Running on host: lab.invalid',
    `Archive serial: ${archiveSerial(at)}`,
    `Date: ${rfc2822(at)}`,
    '',
  ].join('\n');
}

/** The text of a trace file for the given publication time. */
export function formatTrace(at: Date, format: TraceFormat = 'sage'): string {
  switch (format) {
    case 'sage':
      return sageTrace(at);
    case 'debian':
      return debianTrace(at);
    case 'iso':
      return `${at.toISOString().replace('.000Z', 'Z')}\n`;
    case 'unix':
      return `${Math.floor(at.getTime() / 1000)}\n`;
  }
}

/**
 * Writes the trace at treeDir/tracePath (creating its folders) and gives it `at` as mtime,
 * like a master that rewrote it at that time.
 */
export async function writeTrace(treeDir: string, tracePath: string, at: Date, format: TraceFormat = 'sage'): Promise<void> {
  const file = join(treeDir, tracePath);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, formatTrace(at, format));
  await utimes(file, at, at);
}
