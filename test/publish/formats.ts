/**
 * The two published formats, checked as their readers see them: tunasync's WebMirrorStatus
 * (internal/status_web.go: field names, JSON types, `2006-01-02 15:04:05 -0700` text) and the
 * mirrorz status grammar (README "Data Format": `[A-Z](\d+)?` pieces, one main status of S, Y,
 * F, P or U, auxiliaries X, N, O).
 */
import assert from 'node:assert/strict';

const FIELDS: ReadonlyArray<readonly [string, 'string' | 'number' | 'boolean']> = [
  ['name', 'string'],
  ['is_master', 'boolean'],
  ['status', 'string'],
  ['last_update', 'string'],
  ['last_update_ts', 'number'],
  ['last_started', 'string'],
  ['last_started_ts', 'number'],
  ['last_ended', 'string'],
  ['last_ended_ts', 'number'],
  ['next_schedule', 'string'],
  ['next_schedule_ts', 'number'],
  ['upstream', 'string'],
  ['size', 'string'],
];
const STATUSES = ['none', 'failed', 'success', 'syncing', 'pre-syncing', 'paused', 'disabled'];
const GO_TIME = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/;

/** Go's time.Parse of the text, as Unix seconds. */
export function parseGoTime(text: string): number {
  const m = GO_TIME.exec(text);
  assert.ok(m !== null, `not Go's 2006-01-02 15:04:05 -0700 text: ${text}`);
  const [, y, mo, d, h, mi, s, sign, oh, om] = m.map((part, i) => (i === 7 ? part : Number(part))) as [unknown, number, number, number, number, number, number, string, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s) - (sign === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  // Years before 100 (Go's zero time is year 1): Date.UTC maps them to 19xx.
  const fixed = y < 100 ? new Date(utc).setUTCFullYear(y) : utc;
  return Math.floor(fixed / 1000);
}

export function checkTunasyncJob(job: unknown): void {
  assert.ok(typeof job === 'object' && job !== null && !Array.isArray(job));
  const record = job as Record<string, unknown>;
  assert.deepEqual(Object.keys(record), FIELDS.map(([name]) => name), 'exactly the fields of tunasync WebMirrorStatus, in order');
  for (const [name, type] of FIELDS) assert.equal(typeof record[name], type, `${name} is a ${type}`);
  assert.ok(STATUSES.includes(record['status'] as string), `status ${String(record['status'])}`);
  for (const time of ['last_update', 'last_started', 'last_ended', 'next_schedule']) {
    const ts = record[`${time}_ts`] as number;
    assert.ok(Number.isInteger(ts), `${time}_ts is whole seconds`);
    assert.equal(parseGoTime(record[time] as string), ts, `${time} and ${time}_ts are the same moment`);
  }
  assert.match(record['size'] as string, /^(unknown|\d+|\d+\.\d\d[KMGTP])$/);
}

const PIECE = /([A-Z])(\d*)/gy;

export function checkMirrorzStatus(text: string): void {
  const pieces = [...text.matchAll(PIECE)];
  assert.equal(pieces.map((m) => m[0]).join(''), text, `${text} is made of [A-Z](\\d+)? pieces`);
  const main = pieces.filter((m) => 'SYFPU'.includes(m[1] ?? ''));
  assert.equal(main.length, 1, `${text} has exactly one main status`);
  for (const m of pieces) assert.ok('SYFPUXNO'.includes(m[1] ?? ''), `${m[1]} is a known status letter`);
  const main0 = main[0]?.[1];
  if (pieces.some((m) => m[1] === 'O')) assert.ok(main0 === 'Y' || main0 === 'F', 'O only while syncing or failed');
}
