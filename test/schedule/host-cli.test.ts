import assert from 'node:assert/strict';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { writeStatus, type RunStatus } from '../../src/report/status-file.js';
import { pendingTriggers } from '../../src/schedule/triggers.js';
import { checkMirrorzStatus, checkTunasyncJob, parseGoTime } from '../publish/formats.js';
import { runCli } from '../support/cli.js';
import { temporaryFolders } from '../support/temp-dirs.js';
import { writeHostDir } from './host-dir.js';

const newDir = temporaryFolders('mirrorsync-host-cli-');
const env = { TZ: 'UTC' };

function statusOf(overrides: Partial<RunStatus>): RunStatus {
  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
  return {
    result: 'synced',
    mode: 'incremental',
    startedAt: minutesAgo(10),
    endedAt: minutesAgo(9),
    source: 'master',
    tried: [{ name: 'master', exitCode: 0, error: null }],
    bytesReceived: 1234,
    filesTransferred: 5,
    freshness: minutesAgo(60),
    lagSeconds: 0,
    lastSuccessAt: minutesAgo(9),
    error: null,
    totalFileSize: 2_500_000,
    ...overrides,
  };
}

describe('trigger NAME', () => {
  test('records one request for a mirror of the config dir, and exits at once', async () => {
    const host = await writeHostDir(await newDir(), [{ name: 'sage' }]);
    await mkdir(host.target('sage'), { recursive: true });
    for (let i = 0; i < 3; i += 1) {
      const result = await runCli(['trigger', 'sage', '--config-dir', host.configDir], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /sage: sync requested/);
    }
    assert.equal((await pendingTriggers(host.target('sage'))).length, 3);
  });

  test('hostile names are refused with 64 and nothing is written anywhere', async () => {
    const root = await newDir();
    const host = await writeHostDir(root, [{ name: 'sage' }]);
    await mkdir(host.target('sage'), { recursive: true });
    const hostile = ['../sage', 'sage/../../etc', '/etc/passwd', '-rf', '--config-dir=/tmp', 'sage;id', 'sage\nid', 'SAGE', 'sage ', '', '.', '..', 'nosuchmirror', 'sage.json', '$(id)'];
    for (const name of hostile) {
      const result = await runCli(['trigger', '--config-dir', host.configDir, '--', name], { env });
      assert.equal(result.code, 64, `${JSON.stringify(name)}: ${result.stderr}`);
    }
    assert.deepEqual(await pendingTriggers(host.target('sage')), []);
    assert.deepEqual((await readdir(host.target('sage'))).sort(), []);
  });

  test('a symlinked state folder is refused (74), never followed', async () => {
    const root = await newDir();
    const host = await writeHostDir(root, [{ name: 'sage' }]);
    const outside = join(root, 'outside');
    await mkdir(outside);
    await mkdir(host.target('sage'), { recursive: true });
    await symlink(outside, join(host.target('sage'), '.mirrorsync'));
    const result = await runCli(['trigger', 'sage', '--config-dir', host.configDir], { env });
    assert.equal(result.code, 74, result.stderr);
    assert.deepEqual(await readdir(outside), []);
  });
});

describe('status --all', () => {
  test('tunasync /jobs field by field, mirrorz status grammar, and the worst verdict as exit status', async () => {
    const host = await writeHostDir(await newDir(), [
      { name: 'alpha', schedule: { every: '6h' } },
      { name: 'beta', schedule: { cron: '15 */6 * * *' } },
      { name: 'gamma', schedule: { every: '1h', notBetween: ['00:00', '23:59'] } },
      { name: 'never' },
    ]);
    await writeStatus(host.target('alpha'), statusOf({}));
    await writeStatus(host.target('beta'), statusOf({ result: 'failed', error: { code: 'sync.failed', message: 'every source failed' } }));
    await writeStatus(host.target('gamma'), statusOf({ lastSuccessAt: new Date(Date.now() - 3 * 86_400_000).toISOString(), result: 'failed', error: { code: 'sync.failed', message: 'x' } }));

    const table = await runCli(['status', '--all', '--config-dir', host.configDir], { env });
    assert.equal(table.code, 2, table.stderr); // gamma: no success for 3 days is CRITICAL
    for (const [name, state] of [['alpha', 'OK'], ['beta', 'WARNING'], ['gamma', 'CRITICAL'], ['never', 'UNKNOWN']]) assert.match(table.stdout, new RegExp(`^${name}\\s+${state}\\b`, 'm'));

    const json = await runCli(['status', '--all', '--config-dir', host.configDir, '--json'], { env });
    assert.equal(json.code, 2);
    const jobs = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    assert.ok(Array.isArray(jobs));
    assert.deepEqual(jobs.map((job) => job['name']), ['alpha', 'beta', 'gamma', 'never']);
    for (const job of jobs) checkTunasyncJob(job);
    assert.deepEqual(jobs.map((job) => job['status']), ['success', 'failed', 'failed', 'pre-syncing']);
    const alpha = jobs[0] as Record<string, unknown>;
    assert.equal(alpha['size'], '2.50M');
    assert.equal(alpha['upstream'], 'rsync://127.0.0.1:9/alpha/');
    assert.match(alpha['last_update'] as string, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$/);
    assert.ok((alpha['next_schedule_ts'] as number) > Date.now() / 1000 - 5, 'alpha is not due: its next run is ahead');
    assert.equal(parseGoTime(jobs[3]?.['last_update'] as string), -62_135_596_800);
    // gamma may not run at any minute but 23:59: its next run is the end of that window.
    assert.match(jobs[2]?.['next_schedule'] as string, / 23:59:00 \+0000$/);

    const same = await runCli(['status', '--all', '--config-dir', host.configDir, '--format', 'tunasync'], { env });
    assert.deepEqual(JSON.parse(same.stdout).map((job: { name: string }) => job.name), ['alpha', 'beta', 'gamma', 'never']);

    const mirrorz = await runCli(['status', '--all', '--config-dir', host.configDir, '--format', 'mirrorz'], { env });
    const entries = JSON.parse(mirrorz.stdout) as Array<Record<string, string>>;
    assert.deepEqual(entries.map((entry) => entry['cname']), ['alpha', 'beta', 'gamma', 'never']);
    for (const entry of entries) {
      checkMirrorzStatus(entry['status'] ?? '');
      assert.deepEqual(Object.keys(entry), ['cname', 'desc', 'url', 'status', 'help', 'upstream', 'size']);
    }
    assert.match(entries[0]?.['status'] ?? '', /^S\d+X\d+$/);
    assert.match(entries[1]?.['status'] ?? '', /^F\d+O\d+X\d+$/);
    assert.match(entries[3]?.['status'] ?? '', /^UX\d+$/);
  });

  test('every mirror OK is exit 0; an invalid mirror file is UNKNOWN (3) and named', async () => {
    const root = await newDir();
    const host = await writeHostDir(root, [{ name: 'alpha' }, { name: 'broken', extra: { unknownKey: 1 } }]);
    await writeStatus(host.target('alpha'), statusOf({}));
    const result = await runCli(['status', '--all', '--config-dir', host.configDir], { env });
    assert.equal(result.code, 3);
    assert.match(result.stdout, /^broken\s+UNKNOWN\s.*unknownKey/m);
    const healthy = await writeHostDir(await newDir(), [{ name: 'alpha' }]);
    await writeStatus(healthy.target('alpha'), statusOf({}));
    assert.equal((await runCli(['status', '--all', '--config-dir', healthy.configDir], { env })).code, 0);
  });
});

describe('schedule --all', () => {
  test('one cron line and one systemd timer that run sync --all --due every 5 minutes', async () => {
    const host = await writeHostDir(await newDir(), [{ name: 'alpha' }, { name: 'beta' }]);
    const cron = await runCli(['schedule', '--all', '--format', 'cron', '--config-dir', host.configDir], { env });
    assert.equal(cron.code, 0, cron.stderr);
    const lines = cron.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', new RegExp(`^\\*/5 \\* \\* \\* \\* .* sync --all --due --config-dir ${host.configDir} `));
    const systemd = await runCli(['schedule', '--all', '--format', 'systemd', '--config-dir', host.configDir], { env });
    assert.equal(systemd.code, 0, systemd.stderr);
    assert.match(systemd.stdout, /^OnCalendar=\*-\*-\* \*:00\/5:00$/m);
    assert.match(systemd.stdout, new RegExp(`^ExecStart=.* sync --all --due --config-dir ${host.configDir}$`, 'm'));
    for (const path of [host.target('alpha'), host.target('beta'), host.stateDir, join(host.root, 'www'), join(host.root, 'textfile')]) {
      assert.ok(systemd.stdout.includes(path), `ReadWritePaths names ${path}`);
    }
    const kube = await runCli(['schedule', '--all', '--format', 'kubernetes', '--config-dir', host.configDir], { env });
    assert.equal(kube.code, 64);
  });
});
