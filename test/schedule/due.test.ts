import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

// Times of day are the host's local time: pin it so the tables below mean one thing.
process.env['TZ'] = 'UTC';

const { parseCron, nextCronFire, previousCronFire } = await import('../../src/schedule/cron.js');
const { parseDuration } = await import('../../src/util/duration.js');
const { dueVerdict, insideWindow, nextRun, offsetMs, previousSlot } = await import('../../src/schedule/due.js');
const { dueSchedule } = await import('../../src/schedule/read-schedule.js');
type Schedule = import('../../src/schedule/due.js').Schedule;

const at = (iso: string): Date => new Date(`${iso}Z`);
type Text = { every?: string; cron?: string; notBetween?: [string, string] };
// The way a mirror file says it, through the loader's shape (every in seconds).
const schedule = (text: Text): Schedule => {
  const window = text.notBetween === undefined ? {} : { notBetween: text.notBetween };
  const value = dueSchedule(
    text.cron !== undefined ? { kind: 'cron', expression: text.cron, ...window } : { kind: 'every', seconds: (parseDuration(text.every ?? '6h') ?? 0), ...window },
  );
  if (typeof value === 'string') throw new Error(value);
  return value;
};

describe('cron expressions', () => {
  const cases: ReadonlyArray<readonly [expr: string, after: string, next: string, previousOfAfter: string]> = [
    ['15 */6 * * *', '2026-11-29T10:00:00', '2026-11-29T12:15:00', '2026-11-29T06:15:00'],
    ['15 */6 * * *', '2026-11-29T18:15:00', '2026-11-30T00:15:00', '2026-11-29T18:15:00'],
    ['*/5 * * * *', '2026-11-29T10:02:30', '2026-11-29T10:05:00', '2026-11-29T10:00:00'],
    ['0 3 * * mon', '2026-11-29T10:00:00', '2026-11-30T03:00:00', '2026-11-23T03:00:00'],
    ['0 3 * * 7', '2026-11-29T10:00:00', '2026-12-06T03:00:00', '2026-11-29T03:00:00'],
    ['30 4 1,15 * *', '2026-11-29T10:00:00', '2026-12-01T04:30:00', '2026-11-15T04:30:00'],
    // Both day fields restricted: either matches (cron's rule). Nov 30 2026 is a Monday.
    ['0 0 1 * mon', '2026-11-29T10:00:00', '2026-11-30T00:00:00', '2026-11-23T00:00:00'],
    ['0 0 29 feb *', '2026-11-29T10:00:00', '2028-02-29T00:00:00', '2024-02-29T00:00:00'],
    ['10-20/5 8-9 * * *', '2026-11-29T08:12:00', '2026-11-29T08:15:00', '2026-11-29T08:10:00'],
    ['59 23 31 dec *', '2026-11-29T10:00:00', '2026-12-31T23:59:00', '2025-12-31T23:59:00'],
  ];
  for (const [expr, after, next, previous] of cases) {
    test(`"${expr}" after ${after}: next ${next}, latest at or before ${previous}`, () => {
      const spec = parseCron(expr);
      assert.ok(typeof spec !== 'string', String(spec));
      assert.equal(nextCronFire(spec, at(after))?.toISOString(), at(next).toISOString());
      assert.equal(previousCronFire(spec, at(after))?.toISOString(), at(previous).toISOString());
    });
  }

  const wrong: ReadonlyArray<readonly [expr: string, says: RegExp]> = [
    ['* * * *', /5 fields/],
    ['60 * * * *', /minute: 60 is outside 0-59/],
    ['* 24 * * *', /hour: 24/],
    ['*/0 * * * *', /step/],
    ['5-1 * * * *', /backwards/],
    ['* * * foo *', /month: "foo"/],
    ['1/2/3 * * * *', /more than one "\/"/],
    ['-1 * * * *', /not a number/],
    ['@daily', /5 fields/],
    [`${'1,'.repeat(150)}1 * * * *`, /too long/],
  ];
  for (const [expr, says] of wrong) {
    test(`"${expr.slice(0, 30)}" is refused with a reason`, () => {
      const spec = parseCron(expr);
      assert.equal(typeof spec, 'string');
      assert.match(spec as string, says);
    });
  }
});

describe('a mirror file\'s schedule', () => {
  test('no schedule means every 6h', () => assert.deepEqual(dueSchedule(undefined), { kind: 'every', seconds: 21600, notBetween: undefined }));
  test('a cron field out of range is refused with the field', () => assert.match(String(dueSchedule({ kind: 'cron', expression: '60 * * * *' })), /^schedule.cron: minute: 60/));
  test('the window becomes minutes of the day', () =>
    assert.deepEqual(dueSchedule({ kind: 'every', seconds: 3600, notBetween: ['22:30', '06:00'] }), { kind: 'every', seconds: 3600, notBetween: { from: 1350, to: 360 } }));
});

describe('the offset from the name', () => {
  test('is fixed for a name, on whole minutes, inside the period', () => {
    for (const name of ['debian', 'sage', 'ubuntu', 'x']) {
      const offset = offsetMs(name, 6 * 3600);
      assert.equal(offset, offsetMs(name, 6 * 3600));
      assert.equal(offset % 60_000, 0);
      assert.ok(offset >= 0 && offset < 6 * 3600_000);
    }
  });
  test('spreads twenty mirrors of one period over more than ten different minutes', () => {
    const offsets = new Set(Array.from({ length: 20 }, (_, i) => offsetMs(`mirror-${i}`, 6 * 3600)));
    assert.ok(offsets.size > 10, `only ${offsets.size} distinct offsets`);
  });
});

describe('due or not', () => {
  const sixHours = schedule({ every: '6h' });
  // The grid time of "sage" every 6h at or before a fixed moment, then the cases around it.
  const slot = previousSlot('sage', sixHours, at('2026-11-29T12:00:00'));
  assert.ok(slot !== null);
  const plus = (ms: number): Date => new Date(slot.getTime() + ms);
  const minute = 60_000;

  type Case = readonly [what: string, input: { schedule: Schedule; lastStart: Date | null; trigger?: boolean; now: Date; name?: string }, due: boolean, why: string];
  const cases: Case[] = [
    ['never ran', { schedule: sixHours, lastStart: null, now: at('2026-11-29T12:00:00') }, true, 'never ran'],
    ['started just before the grid time, now after it', { schedule: sixHours, lastStart: plus(-minute), now: plus(minute) }, true, 'schedule'],
    ['started at the grid time, now a minute later', { schedule: sixHours, lastStart: slot, now: plus(minute) }, false, 'not yet'],
    ['started after the grid time, next one not reached', { schedule: sixHours, lastStart: plus(minute), now: plus(6 * 3600_000 - minute) }, false, 'not yet'],
    ['the next grid time reached', { schedule: sixHours, lastStart: plus(minute), now: plus(6 * 3600_000) }, true, 'schedule'],
    ['many grid times missed: still one run due', { schedule: sixHours, lastStart: plus(-30 * 86_400_000), now: plus(minute) }, true, 'schedule'],
    ['a trigger makes it due at once', { schedule: sixHours, lastStart: plus(minute), trigger: true, now: plus(2 * minute) }, true, 'trigger'],
    [
      'cron: the fire time passed since the last start',
      { schedule: schedule({ cron: '15 */6 * * *' }), lastStart: at('2026-11-29T06:20:00'), now: at('2026-11-29T12:16:00') },
      true,
      'schedule',
    ],
    [
      'cron: not yet',
      { schedule: schedule({ cron: '15 */6 * * *' }), lastStart: at('2026-11-29T12:15:00'), now: at('2026-11-29T18:14:00') },
      false,
      'not yet',
    ],
    [
      'inside notBetween: waits, even for a trigger',
      { schedule: schedule({ every: '1h', notBetween: ['08:00', '20:00'] }), lastStart: at('2026-11-29T01:00:00'), trigger: true, now: at('2026-11-29T09:00:00') },
      false,
      'inside notBetween',
    ],
    [
      'notBetween across midnight: inside at 01:00',
      { schedule: schedule({ every: '1h', notBetween: ['22:00', '06:00'] }), lastStart: at('2026-11-28T12:00:00'), now: at('2026-11-29T01:00:00') },
      false,
      'inside notBetween',
    ],
    [
      'notBetween across midnight: due at 06:00 sharp',
      { schedule: schedule({ every: '1h', notBetween: ['22:00', '06:00'] }), lastStart: at('2026-11-28T12:00:00'), now: at('2026-11-29T06:00:00') },
      true,
      'schedule',
    ],
    [
      'a run owed from inside the window runs once it ends',
      { schedule: schedule({ every: '1h', notBetween: ['08:00', '20:00'] }), lastStart: at('2026-11-29T07:30:00'), now: at('2026-11-29T20:00:00') },
      true,
      'schedule',
    ],
  ];
  for (const [what, input, due, why] of cases) {
    test(what, () => {
      const verdict = dueVerdict({ name: input.name ?? 'sage', schedule: input.schedule, lastStart: input.lastStart, triggerPending: input.trigger ?? false, now: input.now });
      assert.equal(verdict.due, due);
      assert.equal(verdict.why, why);
    });
  }

  test('the next run: the next grid time, or the end of the window', () => {
    const base = { name: 'sage', triggerPending: false };
    assert.equal(nextRun({ ...base, schedule: sixHours, lastStart: slot, now: plus(minute) }).toISOString(), plus(6 * 3600_000).toISOString());
    const windowed = schedule({ cron: '0 * * * *', notBetween: ['08:00', '20:00'] });
    assert.equal(nextRun({ ...base, schedule: windowed, lastStart: at('2026-11-29T07:00:00'), now: at('2026-11-29T07:30:00') }).toISOString(), at('2026-11-29T20:00:00').toISOString());
    const overnight = schedule({ every: '1h', notBetween: ['22:00', '06:00'] });
    assert.equal(
      nextRun({ ...base, triggerPending: true, schedule: overnight, lastStart: at('2026-11-29T21:00:00'), now: at('2026-11-29T23:00:00') }).toISOString(),
      at('2026-11-30T06:00:00').toISOString(),
    );
    assert.equal(nextRun({ ...base, schedule: sixHours, lastStart: null, now: plus(minute) }).toISOString(), plus(minute).toISOString());
  });

  test('a mirror that is due stays due until it starts, and is not due right after', () => {
    // Walk a day in 5-minute ticks like the timer: every-2h runs exactly 12 times.
    const every2h = schedule({ every: '2h' });
    let lastStart: Date | null = at('2026-11-28T23:59:00');
    let runs = 0;
    for (let t = at('2026-11-29T00:00:00').getTime(); t < at('2026-11-30T00:00:00').getTime(); t += 5 * minute) {
      const now = new Date(t);
      if (dueVerdict({ name: 'sage', schedule: every2h, lastStart, triggerPending: false, now }).due) {
        runs += 1;
        lastStart = now;
      }
    }
    assert.equal(runs, 12);
  });

  test('windows: boundaries', () => {
    const day = { from: 8 * 60, to: 20 * 60 };
    assert.equal(insideWindow(day, at('2026-11-29T07:59:00')), false);
    assert.equal(insideWindow(day, at('2026-11-29T08:00:00')), true);
    assert.equal(insideWindow(day, at('2026-11-29T19:59:00')), true);
    assert.equal(insideWindow(day, at('2026-11-29T20:00:00')), false);
    assert.equal(insideWindow(undefined, at('2026-11-29T12:00:00')), false);
  });
});
