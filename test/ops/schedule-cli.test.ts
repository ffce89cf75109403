import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { useLab, type Lab } from '../lab/index.js';
import { cliPath } from '../support/paths.js';
import { splitCronLine } from './cron-check.js';
import { parseUnit, splitUnitFiles, unitValue } from './unit-file.js';
import { parseYamlSubset, pick } from './yaml-subset.js';

const execFileAsync = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(lab: Lab, args: string[]): Promise<Outcome> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.MIRRORSYNC_CONFIG;
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [cliPath, ...args], { cwd: lab.root, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function writeConfig(lab: Lab, extra: Record<string, unknown> = { target: '/srv/mirror/sage' }): Promise<string> {
  const file = lab.path('sage.json');
  await writeFile(file, JSON.stringify({ name: 'sage', sources: [{ name: 'master', url: 'rsync://master.example.org/sage/', master: true }], ...extra }));
  return file;
}

const cronLine = (stdout: string): string => stdout.trimEnd().split('\n').at(-1) ?? '';

describe('mirrorsync schedule', () => {
  test('--format cron prints a line whose node and CLI paths are absolute and run', async (t) => {
    const lab = await useLab(t);
    const config = await writeConfig(lab);
    const out = await cli(lab, ['schedule', '--format', 'cron', '--config', config, '--every', '10m']);
    assert.equal(out.code, 0, out.stderr);
    const { command } = splitCronLine(cronLine(out.stdout));
    const [node = '', script = '', ...rest] = command.split(' ');
    assert.equal(node, process.execPath);
    assert.ok(isAbsolute(script), script);
    assert.deepEqual(rest, ['sync', '--config', config, '--quiet', '--log-file', '/var/log/mirrorsync/sage.log', '2>>/var/log/mirrorsync/sage.err']);
    const version = await execFileAsync(node, [script, '--version']);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });

  test('every period that divides the hour or the day is accepted', async (t) => {
    const lab = await useLab(t);
    const config = await writeConfig(lab);
    for (const every of ['5m', '10m', '15m', '30m', '1h', '2h', '6h', '12h', '24h']) {
      const out = await cli(lab, ['schedule', '--format', 'cron', '--config', config, '--every', every]);
      assert.equal(out.code, 0, `${every}: ${out.stderr}`);
      splitCronLine(cronLine(out.stdout));
    }
  });

  test('7m and 25h exit 64 with a sentence saying what works', async (t) => {
    const lab = await useLab(t);
    const config = await writeConfig(lab);
    for (const [format, every] of [['cron', '7m'], ['systemd', '25h'], ['kubernetes', '7m']] as const) {
      const out = await cli(lab, ['schedule', '--format', format, '--config', config, '--every', every]);
      assert.equal(out.code, 64, `${format} ${every}`);
      assert.equal(out.stdout, '');
      assert.match(out.stderr, new RegExp(`--every ${every} cannot be expressed as a ${format} schedule: .*use every 5m`));
    }
  });

  test('without --every the default 6h applies', async (t) => {
    const lab = await useLab(t);
    const config = await writeConfig(lab);
    const out = await cli(lab, ['schedule', '--format', 'systemd', '--config', config]);
    assert.equal(out.code, 0, out.stderr);
    const timer = parseUnit(splitUnitFiles(out.stdout).get('/etc/systemd/system/mirrorsync-sage.timer') ?? '');
    assert.match(unitValue(timer, 'Timer', 'OnCalendar'), /^\*-\*-\* \d\d\/6:\d\d:00$/);
  });

  test('--format systemd and kubernetes name the config and the target', async (t) => {
    const lab = await useLab(t);
    const config = await writeConfig(lab, { target: '/srv/mirror/sage', rsync: { maxDurationSeconds: 7200 } });
    const systemd = await cli(lab, ['schedule', '--format', 'systemd', '--config', config, '--every', '1h']);
    assert.equal(systemd.code, 0, systemd.stderr);
    const service = parseUnit(splitUnitFiles(systemd.stdout).get('/etc/systemd/system/mirrorsync-sage.service') ?? '');
    assert.match(unitValue(service, 'Service', 'ExecStart'), new RegExp(`^${process.execPath} /\\S+ sync --config ${config}$`));
    assert.equal(unitValue(service, 'Service', 'ReadWritePaths'), '/srv/mirror/sage');
    assert.ok(Number(unitValue(service, 'Service', 'TimeoutStartSec')) > 7200);

    const kube = await cli(lab, ['schedule', '--format', 'kubernetes', '--config', config, '--every', '1h']);
    assert.equal(kube.code, 0, kube.stderr);
    const job = parseYamlSubset(kube.stdout);
    assert.equal(pick(job, 'spec', 'concurrencyPolicy'), 'Forbid');
    assert.equal(pick(job, 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', 0, 'volumeMounts', 1, 'mountPath'), '/srv/mirror/sage');
    assert.ok(Number(pick(job, 'spec', 'jobTemplate', 'spec', 'activeDeadlineSeconds')) >= 7200);
    assert.match(kube.stdout, new RegExp(`kubectl create configmap mirrorsync-sage --from-file=sources.json=${config}`));
  });

  test('--template works without any config, and refuses other formats', async (t) => {
    const lab = await useLab(t);
    const out = await cli(lab, ['schedule', '--format', 'systemd', '--template', '--every', '30m']);
    assert.equal(out.code, 0, out.stderr);
    const service = parseUnit(splitUnitFiles(out.stdout).get('/etc/systemd/system/mirrorsync@.service') ?? '');
    assert.match(unitValue(service, 'Service', 'ExecStart'), / sync --config \/etc\/mirrorsync\/%i\.json$/);
    assert.equal(unitValue(service, 'Service', 'ReadWritePaths'), '/srv/mirror');
    const cron = await cli(lab, ['schedule', '--format', 'cron', '--template']);
    assert.equal(cron.code, 64);
    assert.match(cron.stderr, /--template applies to --format systemd only/);
  });

  test('a config without a target exits 64', async (t) => {
    const lab = await useLab(t);
    const config = await writeConfig(lab, {});
    const out = await cli(lab, ['schedule', '--format', 'cron', '--config', config]);
    assert.equal(out.code, 64);
    assert.match(out.stderr, /no target/);
  });
});

describe('schedule --user', () => {
  test('names the user in each format; refuses root, a malformed name, an unknown user for Kubernetes, and --all/--network', async (t) => {
    const lab = await useLab(t);
    const config = await writeConfig(lab);
    const cron = await cli(lab, ['schedule', '--config', config, '--format', 'cron', '--user', 'mirror-sync']);
    assert.equal(cron.code, 0, cron.stderr);
    assert.match(splitCronLine(cronLine(cron.stdout)).command, /^mirror-sync \//);
    const systemd = await cli(lab, ['schedule', '--config', config, '--format', 'systemd', '--user', 'mirror-sync']);
    assert.equal(systemd.code, 0, systemd.stderr);
    assert.match(systemd.stdout, /^User=mirror-sync$/m);
    // A user this host has: its ids from /etc/passwd.
    const kubernetes = await cli(lab, ['schedule', '--config', config, '--format', 'kubernetes', '--user', 'nobody']);
    assert.equal(kubernetes.code, 0, kubernetes.stderr);
    assert.equal(pick(parseYamlSubset(kubernetes.stdout), 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'securityContext', 'runAsNonRoot'), true);
    for (const args of [
      ['--format', 'cron', '--user', 'root'],
      ['--format', 'cron', '--user', 'a b'],
      ['--format', 'systemd', '--user', 'x;id'],
      ['--format', 'kubernetes', '--user', 'no-such-user-here'],
      ['--format', 'cron', '--all', '--user', 'mirror'],
    ]) {
      const refused = await cli(lab, ['schedule', '--config', config, ...args]);
      assert.equal(refused.code, 64, `${args.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, /--user/);
      assert.equal(refused.stdout, '');
    }
  });
});
