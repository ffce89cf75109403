import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { readStatus } from '../../src/report/status-file.js';
import { offsetMs } from '../../src/schedule/due.js';
import { pendingTriggers, recordTrigger } from '../../src/schedule/triggers.js';
import { useLab, type Lab } from '../lab/index.js';
import { buildHost, type LabHost } from '../host/support.js';
import { parseProm } from '../report/prom-parse.js';
import { runCli, startCli } from '../support/cli.js';

interface Row {
  name: string;
  result: string;
  exitCode: number;
  runs: number;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

async function tick(host: LabHost, at: Date): Promise<Row[]> {
  const result = await runCli(['sync', '--all', '--due', '--config-dir', host.dir, '--json'], { env: { TZ: 'UTC', MIRRORSYNC_TEST_NOW: at.toISOString() }, timeoutMs: 120_000 });
  assert.equal(result.code, 0, `${at.toISOString()}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { mirrors: Row[] }).mirrors;
}

const names = (rows: readonly Row[]) => rows.map((row) => row.name).sort();

/** Waits for a fact, polling; fails after `ms` (a hang guard, many times the expected wait). */
async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('sync --all --due across simulated time (real daemons, the real CLI)', () => {
  test('each mirror runs when its schedule says so and not otherwise; notBetween holds even a trigger; a trigger makes a mirror due', async (t) => {
    const lab = await useLab(t);
    const host = await buildHost(lab, {
      host: { maxConnectionsPerUpstream: 3 },
      upstreams: [{ name: 'up' }],
      mirrors: [
        { name: 'alpha', upstream: 'up', extra: { schedule: { every: '6h' } } },
        { name: 'beta', upstream: 'up', extra: { schedule: { cron: '0 */6 * * *' } } },
        { name: 'gamma', upstream: 'up', extra: { schedule: { cron: '0 * * * *', notBetween: ['12:00', '18:00'] } } },
      ],
    });
    const day = Date.parse('2026-12-01T00:00:00Z');
    const at = (hours: number, minutes = 0) => new Date(day + hours * HOUR + minutes * MINUTE);
    // alpha's 6h grid is shifted by an offset from its name: its first grid time after 00:30.
    const alphaSlot = (after: Date) => {
      const offset = offsetMs('alpha', 6 * 3600);
      return new Date(Math.floor((after.getTime() - offset) / (6 * HOUR)) * 6 * HOUR + offset + 6 * HOUR);
    };

    // 00:30: none ever ran, so all three are due.
    const first = await tick(host, at(0, 30));
    assert.deepEqual(names(first), ['alpha', 'beta', 'gamma']);
    assert.deepEqual(first.map((row) => row.result), ['synced', 'synced', 'synced']);
    const started = await readStatus(host.target('beta'));
    assert.ok(started !== null && Math.abs(Date.parse(started.startedAt) - at(0, 30).getTime()) < MINUTE, 'the run is dated by the CLI clock');

    // 00:50: beta waits for 06:00, gamma for 01:00; alpha only if its grid time fell in between.
    const alphaNext = alphaSlot(at(0, 30));
    assert.deepEqual(names(await tick(host, at(0, 50))), alphaNext <= at(0, 50) ? ['alpha'] : []);

    // 12:30: beta (06:00 and 12:00 passed) and alpha (more than 6h since its start) are due;
    // gamma's hourly time passed but it is inside its window.
    assert.deepEqual(names(await tick(host, at(12, 30))), ['alpha', 'beta']);

    // 12:35: a trigger for gamma waits for the window's end; a trigger for alpha runs it at once.
    for (const name of ['gamma', 'alpha']) assert.equal((await runCli(['trigger', name, '--config-dir', host.dir], { env: { TZ: 'UTC' } })).code, 0);
    assert.deepEqual(names(await tick(host, at(12, 35))), ['alpha']);
    assert.deepEqual(await pendingTriggers(host.target('alpha')), []);
    assert.equal((await pendingTriggers(host.target('gamma'))).length, 1);
    assert.deepEqual(names(await tick(host, at(17, 55))), alphaSlot(at(12, 35)) <= at(17, 55) ? ['alpha'] : []);

    // 18:00: the window ends; gamma runs (and its trigger is served), beta's 18:00 has come.
    const evening = await tick(host, at(18, 0));
    assert.ok(names(evening).includes('gamma') && names(evening).includes('beta'), JSON.stringify(evening));
    assert.deepEqual(await pendingTriggers(host.target('gamma')), []);
    assert.deepEqual(names(await tick(host, at(18, 1))), []);
  });

  for (const count of [1, 20]) {
    test(`${count} trigger${count === 1 ? '' : 's'} during a mirror's sync give exactly one more run, right after it`, async (t) => {
      const lab = await useLab(t);
      const host = await slowHost(lab);
      const target = host.target('slow');
      const run = startCli(['sync', '--all', '--config-dir', host.dir, '--json'], { timeoutMs: 180_000 });
      try {
        // The run has taken the requests waiting at its start once status.json says running.
        const running = await waitFor('the run to start', 60_000, async () => {
          const status = await readStatus(target);
          return status?.result === 'running' ? status : undefined;
        });
        assert.equal((await runCli(['trigger', 'slow', '--config-dir', host.dir])).code, 0);
        for (let i = 1; i < count; i += 1) await recordTrigger(target, new Date());
        assert.equal((await pendingTriggers(target)).length, count);
        const still = await readStatus(target);
        assert.equal(still?.result, 'running', 'the requests arrived while the mirror synced');
        assert.equal(still?.startedAt, running.startedAt);
      } finally {
        const result = await run.done;
        assert.equal(result.code, 0, result.stderr);
        const rows = (JSON.parse(result.stdout) as { mirrors: Row[] }).mirrors;
        assert.deepEqual(rows.map((row) => [row.name, row.runs]), [['slow', 2]]);
      }
      assert.deepEqual(await pendingTriggers(target), []);
      const runs = parseProm(await readFile(host.metricsFile, 'utf8')).get('mirrorsync_runs_total');
      const counted = Object.fromEntries((runs?.samples ?? []).map((sample) => [sample.labels['result'], sample.value]));
      assert.deepEqual(counted, { synced: 1, noop: 1 });
      // Nothing waits any more: the timer's next tick runs nothing.
      const next = await runCli(['sync', '--all', '--due', '--config-dir', host.dir, '--json']);
      assert.equal(next.code, 0, next.stderr);
      assert.deepEqual((JSON.parse(next.stdout) as { mirrors: Row[] }).mirrors, []);
    });
  }
});

// One mirror whose transfer lasts seconds (its daemon throttles it), and a yearly schedule so
// that only triggers make it due.
async function slowHost(lab: Lab): Promise<LabHost & { metricsFile: string }> {
  const metricsFile = lab.path('textfile', 'mirrors.prom');
  const host = await buildHost(lab, {
    host: { metricsFile },
    upstreams: [{ name: 'up', bwlimitKBps: 96 }],
    mirrors: [{ name: 'slow', upstream: 'up', tree: { files: 24, bytesPerFile: 32_768 }, extra: { schedule: { cron: '0 0 1 1 *' } } }],
  });
  return Object.assign(host, { metricsFile });
}
