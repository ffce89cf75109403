import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { MirrorsyncError } from '../../src/errors.js';
import { cadenceSeconds, cronExpression, onCalendar, planCadence } from '../../src/ops/cadence.js';
import { parseDuration } from '../../src/util/duration.js';
import { gapsMinutes, minutesOfDay, splitCronLine } from './cron-check.js';

const ACCEPTED = ['5m', '6m', '10m', '12m', '15m', '20m', '30m', '60m', '1h', '2h', '3h', '4h', '6h', '8h', '12h', '24h'];
const REJECTED = ['7m', '25h', '90s', '3m', '45m', '90m', '5h', '2d', '1h30m'];

const seconds = (text: string): number => {
  const value = parseDuration(text);
  if (value === undefined) throw new Error(`bad duration ${text}`);
  return value;
};

const systemdAnalyze = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// Minutes of the day a calendar expression fires at, from systemd's own reading of it (UTC).
function calendarMinutes(expression: string, runs: number): number[] {
  const out = execFileSync('systemd-analyze', ['calendar', `--iterations=${runs}`, expression], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  const times = [...out.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ \d{4}-\d\d-\d\d (\d\d):(\d\d):00/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  assert.equal(times.length, runs, out);
  return [...new Set(times)].sort((a, b) => a - b);
}

describe('--every becomes a grid', () => {
  for (const every of ACCEPTED) {
    test(`${every}: valid cron fields, runs evenly spaced by exactly ${every}`, () => {
      const cadence = planCadence(seconds(every), 'sage', 'cron');
      assert.equal(cadenceSeconds(cadence), seconds(every));
      const expression = cronExpression(cadence);
      splitCronLine(`${expression} true`);
      const times = minutesOfDay(expression);
      assert.equal(times.length, 86_400 / seconds(every));
      assert.deepEqual(new Set(gapsMinutes(times)), new Set([seconds(every) / 60]));
    });
  }

  for (const every of REJECTED) {
    test(`${every} is refused as usage.invalid with a sentence naming what works`, () => {
      assert.throws(
        () => planCadence(seconds(every), 'sage', 'systemd'),
        (error: unknown) => error instanceof MirrorsyncError && error.code === 'usage.invalid' && error.message.includes('systemd') && error.message.includes('10m, 12m'),
      );
    });
  }

  test('the offset follows the name: stable for one mirror, spread across mirrors', () => {
    const ten = seconds('10m');
    assert.deepEqual(planCadence(ten, 'sage', 'cron'), planCadence(ten, 'sage', 'cron'));
    const minutes = new Set(Array.from({ length: 40 }, (_, i) => cronExpression(planCadence(ten, `mirror-${i}`, 'cron'))));
    assert.ok(minutes.size >= 5, `40 mirrors share ${minutes.size} schedules`);
    const hours = new Set(Array.from({ length: 40 }, (_, i) => cronExpression(planCadence(seconds('6h'), `mirror-${i}`, 'cron')).split(' ')[1]));
    assert.ok(hours.size >= 3, `40 mirrors share ${hours.size} hour patterns`);
  });

  test('without a seed (instance units) the grid starts on the hour', () => {
    assert.equal(cronExpression(planCadence(seconds('10m'), undefined, 'systemd')), '*/10 * * * *');
    assert.equal(onCalendar(planCadence(seconds('6h'), undefined, 'systemd')), '*-*-* 00/6:00:00');
  });

  test('OnCalendar names the same times as the cron expression (systemd-analyze calendar)', { skip: systemdAnalyze ? false : 'systemd-analyze is not installed' }, () => {
    for (const every of ACCEPTED) {
      for (const name of ['sage', 'debian', 'x']) {
        const cadence = planCadence(seconds(every), name, 'systemd');
        const perDay = 86_400 / seconds(every);
        assert.deepEqual(calendarMinutes(onCalendar(cadence), perDay * 2), minutesOfDay(cronExpression(cadence)), `${every} ${name}: ${onCalendar(cadence)}`);
      }
    }
  });
});
