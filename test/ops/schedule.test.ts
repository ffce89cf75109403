import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, symlink, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MirrorsyncError } from '../../src/errors.js';
import { cronExpression, planCadence } from '../../src/ops/cadence.js';
import { kubernetesName, renderKubernetes } from '../../src/ops/schedule-kubernetes.js';
import { renderSystemd, renderSystemdTemplate } from '../../src/ops/schedule-systemd.js';
import { LOG_DIR, renderCron, type MirrorSchedule } from '../../src/ops/schedule.js';
import { useLab } from '../lab/index.js';
import { splitCronLine } from './cron-check.js';
import { parseUnit, splitUnitFiles, unitValue } from './unit-file.js';
import { parseYamlSubset, pick } from './yaml-subset.js';

// Every character the quoting must carry: blanks, both quotes, a specifier, a variable, a backslash.
const AWKWARD = `sp ace/it's 50%/$HOME "q"\\b`;
const MAX_DURATION = 43_200;

const systemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

// What cron does to a command before handing it to /bin/sh (cronie's do_command): `\%` becomes
// `%`, and an unescaped `%` ends the command (the rest goes to stdin).
function cronToShell(command: string): string {
  let out = '';
  let escaped = false;
  for (const char of command) {
    if (escaped) {
      out = char === '%' ? `${out.slice(0, -1)}%` : out + char;
      escaped = false;
    } else if (char === '%') {
      break;
    } else {
      out += char;
      escaped = char === '\\';
    }
  }
  return out;
}

function schedule(dir: string, overrides: Partial<MirrorSchedule> = {}): MirrorSchedule {
  return {
    everySeconds: 600,
    node: join(dir, 'node'),
    cli: join(dir, 'bin', 'mirrorsync.js'),
    name: 'sage',
    configFile: join(dir, 'sources.json'),
    target: join(dir, 'mirror'),
    maxDurationSeconds: MAX_DURATION,
    ...overrides,
  };
}

describe('cron', () => {
  test('prints one crontab line: five valid fields, then the sync with absolute paths, errors appended to a file', async (t) => {
    const dir = join((await useLab(t)).root, AWKWARD);
    await mkdir(dir, { recursive: true });
    // A stand-in for node that records the argv the shell gave it.
    const fakeNode = join(dir, 'node');
    await writeFile(fakeNode, '#!/bin/sh\nprintf \'%s\\0\' "$0" "$@" > "$ARGV_OUT"\n');
    await chmod(fakeNode, 0o755);
    const input = schedule(dir);
    const text = renderCron(input);
    const lines = text.trimEnd().split('\n');
    assert.ok(lines.slice(0, -1).every((line) => line.startsWith('#')), 'only comments before the line');
    const { fields, command } = splitCronLine(lines.at(-1) ?? '');
    assert.equal(fields.join(' '), cronExpression(planCadence(600, 'sage', 'cron')));

    const redirect = ` 2>>${LOG_DIR}/sage.err`;
    assert.ok(command.endsWith(redirect), command);
    const argvFile = join(dir, 'argv');
    execFileSync('/bin/sh', ['-c', cronToShell(command.slice(0, -redirect.length))], { env: { ...process.env, ARGV_OUT: argvFile } });
    const argv = (await readFile(argvFile, 'utf8')).split('\0').slice(0, -1);
    assert.deepEqual(argv, [fakeNode, input.cli, 'sync', '--config', input.configFile, '--quiet', '--log-file', '/var/log/mirrorsync/sage.log']);
  });

  test('a % in a path survives cron (escaped), and every path is absolute', () => {
    const line = renderCron(schedule('/srv/100%')).trimEnd().split('\n').at(-1) ?? '';
    assert.match(line, /'\/srv\/100\\%\/node' '\/srv\/100\\%\/bin\/mirrorsync\.js' sync --config '\/srv\/100\\%\/sources\.json' --quiet --log-file \/var\/log\/mirrorsync\/sage\.log/);
  });
});

describe('systemd', () => {
  test('a .service and a .timer with the required keys, accepted by systemd-analyze verify', async (t) => {
    const lab = await useLab(t);
    // systemd refuses quotes and backslashes in the program's path (tested below), not in arguments.
    const programDir = join(lab.root, 'sp ace/50%/$HOME (x)');
    const dir = join(lab.root, AWKWARD);
    await mkdir(join(programDir, 'bin'), { recursive: true });
    await mkdir(join(dir, 'mirror'), { recursive: true });
    await symlink(process.execPath, join(programDir, 'node'));
    const input = schedule(dir, { node: join(programDir, 'node') });
    const files = splitUnitFiles(renderSystemd(input));
    assert.deepEqual([...files.keys()], ['/etc/systemd/system/mirrorsync-sage.service', '/etc/systemd/system/mirrorsync-sage.timer']);

    const service = parseUnit(files.get('/etc/systemd/system/mirrorsync-sage.service') ?? '');
    assert.equal(unitValue(service, 'Service', 'Type'), 'oneshot');
    const execStart = unitValue(service, 'Service', 'ExecStart');
    const quoted = (path: string, dollars: boolean) => `"${path.replace(/%/g, '%%').replace(/\$/g, dollars ? '$$$$' : '$$').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    assert.equal(execStart, `${quoted(input.node, false)} ${quoted(input.cli, true)} sync --config ${quoted(input.configFile, true)}`);
    assert.equal(unitValue(service, 'Service', 'ProtectSystem'), 'strict');
    assert.equal(unitValue(service, 'Service', 'ReadWritePaths'), `"${join(dir, 'mirror').replace(/%/g, '%%').replace(/[\\"]/g, (c) => `\\${c}`)}"`);
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['PrivateTmp', 'yes'], ['ProtectHome', 'read-only'], ['Nice', '10'], ['IOSchedulingClass', 'idle']] as const) {
      assert.equal(unitValue(service, 'Service', key), value, key);
    }
    assert.ok(Number(unitValue(service, 'Service', 'TimeoutStartSec')) > MAX_DURATION);
    assert.equal(service.has('Install'), false, 'the timer starts the service, not a target');

    const timer = parseUnit(files.get('/etc/systemd/system/mirrorsync-sage.timer') ?? '');
    assert.match(unitValue(timer, 'Timer', 'OnCalendar'), /^\*-\*-\* \*:\d\d\/10:00$/);
    assert.equal(unitValue(timer, 'Timer', 'RandomizedDelaySec'), '60');
    assert.equal(unitValue(timer, 'Timer', 'Persistent'), 'true');
    assert.equal(unitValue(timer, 'Install', 'WantedBy'), 'timers.target');

    if (!systemdAnalyze) return t.skip('systemd-analyze is not installed: parsed only');
    const unitDir = lab.path('units');
    await mkdir(unitDir);
    for (const [path, text] of files) await writeFile(join(unitDir, path.split('/').at(-1) ?? ''), text);
    // verify fails on an ExecStart whose program does not exist: the quoted path must resolve.
    const result = spawnSync('systemd-analyze', ['verify', join(unitDir, 'mirrorsync-sage.service'), join(unitDir, 'mirrorsync-sage.timer')], { encoding: 'utf8' });
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
  });

  test('a program path systemd cannot run is refused as usage.invalid', () => {
    assert.throws(() => renderSystemd(schedule(`/opt/it's`)), (error: unknown) => error instanceof MirrorsyncError && error.code === 'usage.invalid' && error.message.includes('quote'));
  });

  test('RandomizedDelaySec is a tenth of the period, at most 15 minutes', () => {
    const delay = (every: number): string => unitValue(parseUnit(splitUnitFiles(renderSystemd(schedule('/opt/m', { everySeconds: every }))).get('/etc/systemd/system/mirrorsync-sage.timer') ?? ''), 'Timer', 'RandomizedDelaySec');
    assert.equal(delay(300), '30');
    assert.equal(delay(3600), '360');
    assert.equal(delay(6 * 3600), '900');
  });

  test('--template: mirrorsync@.service reads /etc/mirrorsync/%i.json; verify accepts an instance', async (t) => {
    const lab = await useLab(t);
    const text = renderSystemdTemplate({ everySeconds: 3600, node: process.execPath, cli: '/opt/mirrorsync/bin/mirrorsync.js', writableRoot: '/srv/mirror', maxDurationSeconds: MAX_DURATION });
    const files = splitUnitFiles(text);
    assert.deepEqual([...files.keys()], ['/etc/systemd/system/mirrorsync@.service', '/etc/systemd/system/mirrorsync@.timer']);
    const service = parseUnit(files.get('/etc/systemd/system/mirrorsync@.service') ?? '');
    assert.equal(unitValue(service, 'Service', 'ExecStart'), `${process.execPath} /opt/mirrorsync/bin/mirrorsync.js sync --config /etc/mirrorsync/%i.json`);
    assert.equal(unitValue(service, 'Service', 'ReadWritePaths'), '/srv/mirror');
    assert.match(unitValue(service, 'Unit', 'Description'), /%i/);
    const timer = parseUnit(files.get('/etc/systemd/system/mirrorsync@.timer') ?? '');
    assert.equal(unitValue(timer, 'Timer', 'OnCalendar'), '*-*-* *:00:00');

    if (!systemdAnalyze) return t.skip('systemd-analyze is not installed: parsed only');
    // verify loads a template through an instance name: save the template under one.
    const unitDir = lab.path('units');
    await mkdir(unitDir);
    await writeFile(join(unitDir, 'mirrorsync@lab.service'), files.get('/etc/systemd/system/mirrorsync@.service') ?? '');
    await writeFile(join(unitDir, 'mirrorsync@lab.timer'), files.get('/etc/systemd/system/mirrorsync@.timer') ?? '');
    const result = spawnSync('systemd-analyze', ['verify', join(unitDir, 'mirrorsync@lab.service'), join(unitDir, 'mirrorsync@lab.timer')], { encoding: 'utf8' });
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
  });
});

describe('kubernetes', () => {
  test('a batch/v1 CronJob: Forbid, the cron schedule, the target on a volume, a deadline above maxDuration', () => {
    const input = { ...schedule('/srv/mirror'), name: 'Sage_Mirror.9', target: '/srv/mirror/sage "x"', version: '1.2.3' };
    const job = parseYamlSubset(renderKubernetes(input));
    assert.equal(pick(job, 'apiVersion'), 'batch/v1');
    assert.equal(pick(job, 'kind'), 'CronJob');
    const name = pick(job, 'metadata', 'name');
    assert.equal(name, 'mirrorsync-sage-mirror-9');
    assert.equal(pick(job, 'spec', 'concurrencyPolicy'), 'Forbid');
    const cron = String(pick(job, 'spec', 'schedule'));
    assert.equal(cron, cronExpression(planCadence(600, 'Sage_Mirror.9', 'kubernetes')));
    splitCronLine(`${cron} true`);
    assert.ok(Number(pick(job, 'spec', 'startingDeadlineSeconds')) > 0);
    const jobSpec = pick(job, 'spec', 'jobTemplate', 'spec');
    assert.ok(Number(pick(jobSpec, 'activeDeadlineSeconds')) >= MAX_DURATION);
    const pod = pick(jobSpec, 'template', 'spec');
    assert.equal(pick(pod, 'restartPolicy'), 'Never');
    assert.deepEqual(pick(pod, 'containers', 0, 'command'), ['mirrorsync', 'sync', '--config', '/etc/mirrorsync/sources.json']);
    assert.match(String(pick(pod, 'containers', 0, 'image')), /:1\.2\.3$/);
    const mounts = pick(pod, 'containers', 0, 'volumeMounts') as Array<Record<string, unknown>>;
    const volumes = pick(pod, 'volumes') as Array<Record<string, unknown>>;
    const volumeOf = (path: string) => volumes.find((volume) => volume.name === mounts.find((mount) => mount.mountPath === path)?.name);
    assert.deepEqual(volumeOf(input.target), { name: 'tree', persistentVolumeClaim: { claimName: name } });
    assert.deepEqual(volumeOf('/etc/mirrorsync'), { name: 'config', configMap: { name } });
  });

  test('object names are DNS labels of at most 52 characters', () => {
    for (const name of ['sage', 'A.B_C', '---', '_x_', 'a'.repeat(80), `${'b'.repeat(40)}-.-c`]) {
      const label = kubernetesName(name);
      assert.match(label, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, label);
      assert.ok(label.length <= 52, label);
    }
  });
});

describe('--user: the schedule runs as a dedicated unprivileged user', () => {
  const user = { name: 'mirror', uid: 998, gid: 997 };

  test('cron: an /etc/cron.d line whose sixth field is the user, with how to give it the target', () => {
    const text = renderCron(schedule('/srv', { user, name: 'sage.mirror-1' }));
    const line = text.trimEnd().split('\n').at(-1) ?? '';
    const { fields, command } = splitCronLine(line);
    assert.equal(fields.join(' '), cronExpression(planCadence(600, 'sage.mirror-1', 'cron')));
    assert.match(command, /^mirror '?\/srv\/node'? /, 'the user field comes right after the five time fields');
    assert.match(text, /save the last line as \/etc\/cron\.d\/mirrorsync-sage-mirror-1;/, 'cron ignores cron.d files with a dot in their name');
    assert.match(text, /install -d -o mirror -g mirror \/srv\/mirror \/var\/log\/mirrorsync/);
    assert.doesNotMatch(renderCron(schedule('/srv')), /^\d.* mirror '/m, 'no user field without --user');
  });

  test('systemd: User= in the service, per mirror and in the instance units; commented out without --user', () => {
    const service = (text: string) => parseUnit([...splitUnitFiles(text).values()][0] ?? '');
    assert.equal(unitValue(service(renderSystemd(schedule('/srv', { user }))), 'Service', 'User'), 'mirror');
    assert.equal(unitValue(service(renderSystemdTemplate({ everySeconds: 600, node: '/usr/bin/node', cli: '/opt/m.js', writableRoot: '/srv/mirror', maxDurationSeconds: MAX_DURATION, user })), 'Service', 'User'), 'mirror');
    assert.match(renderSystemd(schedule('/srv')), /^#User=mirror$/m);
    assert.doesNotMatch(renderSystemd(schedule('/srv')), /^User=/m);
  });

  test('kubernetes: the pod\'s securityContext runs as the user\'s ids, never as root', () => {
    const doc = parseYamlSubset(renderKubernetes({ ...schedule('/srv', { user }), version: '1.0.0' }));
    const context = pick(doc, 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'securityContext') as unknown;
    assert.deepEqual(context, { runAsUser: 998, runAsGroup: 997, fsGroup: 997, runAsNonRoot: true });
    const plain = parseYamlSubset(renderKubernetes({ ...schedule('/srv'), version: '1.0.0' }));
    assert.throws(() => pick(plain, 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'securityContext'), /no spec\.jobTemplate/);
  });
});
