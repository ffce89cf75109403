import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startDaemon, useLab, writeTrace } from '../lab/index.js';
import { runCli } from '../support/cli.js';
import { expandField, splitCronLine } from './cron-check.js';

const execFileAsync = promisify(execFile);
const TRACE = 'zzz/timestamp.html';

describe('schedule --network', () => {
  test('prints an hourly cron line that checks, then reports; the printed command runs as printed, and network check prints a table', async (t) => {
    const lab = await useLab(t);
    const tree = lab.path('tree');
    await writeTrace(tree, TRACE, new Date(Date.now() - 3_600_000));
    const daemon = await startDaemon(lab, { name: 'master', tree });
    const config = lab.path('sage.json');
    await writeFile(config, JSON.stringify({ name: 'sage', trace: TRACE, sources: [{ name: 'master', master: true, url: daemon.url }], probe: { timeoutMs: 4000, samples: 1 } }));
    const out = lab.path('www');
    const result = await runCli(['schedule', '--network', '--out', out, '--format', 'cron', '--config', config], { cwd: lab.root });
    assert.equal(result.code, 0, result.stderr);
    const line = result.stdout.trimEnd().split('\n').at(-1) ?? '';
    const { fields, command } = splitCronLine(line);
    assert.equal(expandField(fields[0] ?? '', 0, 59).length, 1, 'one minute an hour');
    assert.deepEqual(fields.slice(1), ['*', '*', '*', '*'], 'hourly');
    assert.match(command, / network check .*; .* network report .*--out \S*www /);
    // Run it as cron would (sh -c), its error file moved into the lab.
    await execFileAsync('/bin/sh', ['-c', command.replaceAll('/var/log/mirrorsync/', `${lab.root}/`)], { env: { PATH: process.env['PATH'] ?? '' } });
    await access(`${out}/index.html`);
    await access(`${out}/status.json`);
    await access(lab.path('sage-network.sqlite'));
    const human = await runCli(['network', 'check', '--config', config], { cwd: lab.root });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^SOURCE +PROTOCOL +CHECK +FRESHNESS/);
    assert.match(human.stdout, /^master +rsync +ok +\d{4}-/m);
    assert.match(human.stdout, / recorded in .*sage-network\.sqlite\n$/);
    const broken = await runCli(['network', 'check', '--config', lab.path('missing.json'), '--json'], { cwd: lab.root });
    assert.equal(broken.code, 78);
    assert.equal((JSON.parse(broken.stdout) as { result: string }).result, 'failed');
  });

  test('systemd units run the check then the report, and --every changes the period', async (t) => {
    const lab = await useLab(t);
    const config = lab.path('sage.json');
    await writeFile(config, JSON.stringify({ name: 'sage', sources: [{ name: 'master', master: true, url: 'rsync://master.example.org/sage/' }] }));
    const result = await runCli(['schedule', '--network', '--out', lab.path('www'), '--format', 'systemd', '--every', '2h', '--config', config], { cwd: lab.root });
    assert.equal(result.code, 0, result.stderr);
    const exec = result.stdout.split('\n').filter((l) => l.startsWith('ExecStart='));
    assert.equal(exec.length, 2);
    assert.match(exec[0] ?? '', /^ExecStart=-.* network check /);
    assert.match(exec[1] ?? '', / network report .*--out /);
    assert.match(result.stdout, /^OnCalendar=\*-\*-\* \d{1,2}\/2:\d{2}:00$/m);
  });

  test('--network without --out, or with kubernetes, is a usage error (64)', async (t) => {
    const lab = await useLab(t);
    const config = lab.path('sage.json');
    await writeFile(config, JSON.stringify({ name: 'sage', sources: [{ name: 'master', master: true, url: 'rsync://master.example.org/sage/' }] }));
    assert.equal((await runCli(['schedule', '--network', '--format', 'cron', '--config', config], { cwd: lab.root })).code, 64);
    assert.equal((await runCli(['schedule', '--network', '--out', 'x', '--format', 'kubernetes', '--config', config], { cwd: lab.root })).code, 64);
  });
});
