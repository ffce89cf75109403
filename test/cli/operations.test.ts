import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, realpath, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { writeStatus, type RunStatus } from '../../src/report/status-file.js';
import { buildNetwork, HOUR_MS, TRACE_PATH, useLab, writeTrace, type Lab } from '../lab/index.js';
import { parseProm } from '../report/prom-parse.js';
import { runCli, startCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { cliPath, repoRoot } from '../support/paths.js';

const fresh = new Date(Date.now() - HOUR_MS);

async function oneSourceNetwork(lab: Lab, extra: { hooks?: unknown; files?: number; bwlimitKBps?: number } = {}) {
  const net = await buildNetwork(lab, {
    sources: [{ name: 'master', master: true, tree: { files: extra.files ?? 20, bytesPerFile: 4096, trace: { path: TRACE_PATH, at: fresh } }, ...(extra.bwlimitKBps === undefined ? {} : { bwlimitKBps: extra.bwlimitKBps }) }],
  });
  if (extra.hooks !== undefined) {
    const config = JSON.parse(await readFile(net.configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(net.configPath, JSON.stringify({ ...config, hooks: extra.hooks }));
  }
  return net;
}

function statusOf(overrides: Partial<RunStatus>): RunStatus {
  return {
    result: 'synced',
    mode: 'incremental',
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    endedAt: new Date(Date.now() - 30_000).toISOString(),
    source: 'master',
    tried: [{ name: 'master', exitCode: 0, error: null }],
    bytesReceived: 1234,
    filesTransferred: 5,
    freshness: fresh.toISOString(),
    lagSeconds: 0,
    lastSuccessAt: new Date(Date.now() - 30_000).toISOString(),
    error: null,
    ...overrides,
  };
}

describe('the CLI shell', () => {
  test('--help and --version work from the built bin; a missing command or an unknown option is exit 64', async () => {
    const bin = join(dirname(await realpath(join(repoRoot, 'package.json'))), 'bin', 'mirrorsync.js');
    const help = await runCli(['--help'], {});
    assert.equal(help.code, 0);
    for (const command of ['sync', 'sources', 'status', 'schedule', 'rsyncd-conf']) assert.match(help.stdout, new RegExp(`\\n  ${command}`));
    const viaBin = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, 'sources', 'list', '--json', '--config', join(repoRoot, 'sources.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(viaBin.code, 0);
    const listed = JSON.parse(viaBin.out) as { sources: Array<{ name: string; master: boolean; probeOnly: boolean }> };
    assert.equal(listed.sources.length, 20);
    assert.deepEqual(listed.sources.filter((source) => source.master).map((source) => source.name), ['master']);
    assert.match((await runCli(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
    assert.equal((await runCli([])).code, 64);
    const unknown = await runCli(['sync', '--no-such-option']);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /unknown option '--no-such-option'/);
    assert.equal((await runCli(['sync', '--mode', 'sideways'])).code, 64);
  });

  test('sources list without a config file says where it looked, exit 78', async (t) => {
    const lab = await useLab(t);
    const result = await runCli(['sources', 'list'], { cwd: lab.root });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /sources\.json/);
  });
});

describe('mirrorsync status as a monitoring plugin', () => {
  test('OK after a sync, first line with perfdata, details after; its --json is status.json plus the verdict', async (t) => {
    const lab = await useLab(t);
    const net = await oneSourceNetwork(lab);
    assert.equal((await runCli(['sync', '--config', net.configPath])).code, 0);
    const human = await runCli(['status', '--config', net.configPath]);
    assert.equal(human.code, 0, human.stdout + human.stderr);
    assert.match(human.stdout, /^MIRRORSYNC OK - synced from master, last success \d+s ago \| lag=0s;86400;172800 age=\d+s;86400;172800 bytes=\d+B\n/);
    assert.match(human.stdout, /\nlast run:\s+synced \(initial\)/);
    assert.match(human.stdout, /\nsource:\s+master/);
    const json = await runCli(['status', '--config', net.configPath, '--json']);
    assert.equal(json.code, 0);
    const { verdict, ...status } = JSON.parse(json.stdout) as { verdict: { state: string; exitCode: number; line: string } };
    assert.deepEqual(status, JSON.parse(await readFile(join(net.target, '.mirrorsync', 'status.json'), 'utf8')));
    assert.equal(verdict.state, 'OK');
    assert.equal(verdict.exitCode, 0);
    assert.match(verdict.line, /^MIRRORSYNC OK - /);
  });

  test('WARNING (1), CRITICAL (2) and UNKNOWN (3): failed, too old, died, never ran, unreadable, bad config', async (t) => {
    const lab = await useLab(t);
    const target = lab.path('mirror');
    const check = async (...args: string[]) => runCli(['status', '--target', target, ...args], { cwd: lab.root });
    const firstLine = (text: string) => text.split('\n')[0] ?? '';

    const never = await check();
    assert.equal(never.code, 3);
    assert.match(firstLine(never.stdout), /^MIRRORSYNC UNKNOWN - no status at .*has not run on this target yet \| lag=U;/);
    const neverJson = JSON.parse((await check('--json')).stdout) as { result: string; exitCode: number; error: { code: string }; verdict: { state: string } };
    assert.deepEqual([neverJson.result, neverJson.exitCode, neverJson.verdict.state], ['failed', 3, 'UNKNOWN']);

    await writeStatus(target, statusOf({ result: 'failed', error: { code: 'sync.failed', message: 'every usable source failed (master: rsync exit 10)' }, tried: [{ name: 'master', exitCode: 10, error: 'rsync exit 10' }] }));
    const failed = await check();
    assert.equal(failed.code, 1);
    assert.match(firstLine(failed.stdout), /^MIRRORSYNC WARNING - last run failed: every usable source failed .*; last success \d+s ago \|/);
    assert.match(failed.stdout, /tried:\s+master: rsync exit 10 \(exit 10\)/);

    const threeDays = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await writeStatus(target, statusOf({ endedAt: threeDays, lastSuccessAt: threeDays }));
    assert.equal((await check()).code, 2, 'a success three days ago is CRITICAL with the default --critical 2d');
    assert.equal((await check('--critical', '4d')).code, 1, 'within --critical 4d, older than --warning 1d');
    assert.equal((await check('--max-age', '4d')).code, 1, '--max-age is the old name of --critical');
    assert.equal((await check('--critical', '4d', '--warning', '3d12h')).code, 0);
    assert.equal((await check('--max-age', 'soon')).code, 64);
    assert.equal((await check('--warning', 'soon')).code, 64);

    await writeStatus(target, statusOf({ result: 'running', endedAt: null, pid: 2 ** 22 + 12_345 }));
    const died = await check();
    assert.equal(died.code, 1);
    assert.match(firstLine(died.stdout), /^MIRRORSYNC WARNING - .*died without finishing/);

    await writeStatus(target, statusOf({ result: 'noop' }));
    assert.match((await check()).stdout, /^MIRRORSYNC OK - up to date from master/);

    await writeFile(join(target, '.mirrorsync', 'status.json'), '{"result": "half');
    const corrupt = await check();
    assert.equal(corrupt.code, 3);
    assert.match(firstLine(corrupt.stdout), /^MIRRORSYNC UNKNOWN - unreadable status: .*not JSON/);

    const badConfig = lab.path('bad.json');
    await writeFile(badConfig, '{"sources": 3}');
    const invalid = await runCli(['status', '--config', badConfig], { cwd: lab.root });
    assert.equal(invalid.code, 3, 'a bad config is UNKNOWN to monitoring, not 78');
    assert.match(firstLine(invalid.stdout), /^MIRRORSYNC UNKNOWN - .*bad\.json/);
  });
});

describe('sync for unattended runs', () => {
  test('--quiet prints nothing on success, as cron wants; --metrics-file writes valid Prometheus text', async (t) => {
    const lab = await useLab(t);
    const net = await oneSourceNetwork(lab);
    const metricsFile = lab.path('metrics', 'mirrorsync.prom');
    await import('node:fs/promises').then((fs) => fs.mkdir(dirname(metricsFile)));
    const result = await runCli(['sync', '--config', net.configPath, '--quiet', '--metrics-file', metricsFile]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, '');
    const families = parseProm(await readFile(metricsFile, 'utf8'));
    const value = (name: string, labels: Record<string, string> = {}) =>
      families.get(name)?.samples.find((sample) => Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted))?.value;
    assert.equal(value('mirrorsync_last_run_result', { result: 'synced' }), 1);
    assert.equal(value('mirrorsync_last_run_result', { result: 'failed' }), 0);
    assert.ok((value('mirrorsync_last_run_received_bytes', { mirror: 'sage' }) ?? 0) > 20 * 4096);
    assert.ok(Math.abs((value('mirrorsync_last_success_timestamp_seconds') ?? 0) - Date.now() / 1000) < 60);
    assert.equal(value('mirrorsync_source_up', { mirror: 'sage', source: 'master' }), 1);
    assert.equal(value('mirrorsync_source_lag_seconds', { source: 'master' }), 0);
    assert.ok((value('mirrorsync_last_run_duration_seconds') ?? -1) >= 0);
  });

  test('hooks run with the outcome in their environment; a failing hook never changes the result', async (t) => {
    const lab = await useLab(t);
    const envFile = lab.path('hook.env');
    const net = await oneSourceNetwork(lab, {
      hooks: { onSuccess: ['/bin/sh', '-c', `env | grep ^MIRRORSYNC_ > '${envFile}'; exit 3`], onFailure: ['/bin/sh', '-c', `echo failed > '${envFile}.failed'`] },
    });
    const result = await runCli(['sync', '--config', net.configPath]);
    assert.equal(result.code, 0, result.stderr);
    const env = await readFile(envFile, 'utf8');
    assert.match(env, /^MIRRORSYNC_RESULT=synced$/m);
    assert.match(env, /^MIRRORSYNC_SOURCE=master$/m);
    assert.match(env, /^MIRRORSYNC_EXIT_CODE=0$/m);
    assert.match(env, /^MIRRORSYNC_BYTES_RECEIVED=\d{5,}$/m);
    assert.match(result.stderr, /onSuccess hook failed/);

    // The only source goes away: the run fails with 69, and onFailure runs.
    await net.daemon('master').stop();
    await writeTrace(net.tree('master'), TRACE_PATH, new Date());
    const failed = await runCli(['sync', '--config', net.configPath]);
    assert.equal(failed.code, 69);
    assert.equal(await readFile(`${envFile}.failed`, 'utf8'), 'failed\n');
  });

  test('--log-file gets JSON lines and is reopened on SIGHUP, as logrotate expects', async (t) => {
    const lab = await useLab(t);
    const net = await oneSourceNetwork(lab, { files: 60, bwlimitKBps: 100 });
    const logFile = lab.path('mirrorsync.log');
    const running = startCli(['sync', '--config', net.configPath, '--log-file', logFile, '--log-level', 'debug']);
    // The first line (the debug 'start') is written once the SIGHUP handler is in place: wait for it,
    // then rotate the file as logrotate does and signal.
    await waitFor('the first log line', async () => (await readFile(logFile, 'utf8').catch(() => '')).includes('\n'));
    await rename(logFile, `${logFile}.1`);
    running.child.kill('SIGHUP');
    const result = await running.done;
    assert.equal(result.code, 0, result.stderr);
    const rotated = await readFile(`${logFile}.1`, 'utf8');
    const reopened = await readFile(logFile, 'utf8');
    assert.ok(rotated.length > 0);
    const lines = reopened.trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    assert.ok(lines.some((line) => /synced from master/.test(line.msg)), reopened);
  });

  test('on a terminal, a progress line shows the running pass; none without one', async (t) => {
    const lab = await useLab(t);
    const net = await oneSourceNetwork(lab, { files: 40, bwlimitKBps: 120 });
    // script(1) gives the CLI a pseudo-terminal, as a person running it by hand has.
    const command = [process.execPath, cliPath, 'sync', '--config', net.configPath].map((arg) => `'${arg}'`).join(' ');
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qefc', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
    });
    assert.match(output, /\r\x1b\[Kmaster: +\d+%  [\d.]+ [KM]iB  [\d.]+ [KM]iB\/s  ETA \d+:\d{2}:\d{2}/);
    await writeTrace(net.tree('master'), TRACE_PATH, new Date());
    const piped = await runCli(['sync', '--config', net.configPath]);
    assert.equal(piped.code, 0);
    assert.doesNotMatch(piped.stdout, /%/);
  });
});
