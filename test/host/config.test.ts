import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadHost, resolveConfigDir } from '../../src/host/load.js';
import { isBroken, type HostMirror, type MirrorEntry } from '../../src/host/types.js';
import { checkFilterRule, partialFilterArgs } from '../../src/sync/partial-filters.js';
import { MirrorsyncError } from '../../src/errors.js';
import { temporaryFolders } from '../support/temp-dirs.js';

const source = { name: 'master', url: 'rsync://up.example.org/sage/', master: true };
const target = '/srv/mirror/t';

/** A config dir holding `host` as host.json (unless undefined) and each mirror file as given (text or object). */
async function configDir(dir: string, host: unknown, mirrors: Record<string, unknown>): Promise<string> {
  await mkdir(join(dir, 'mirrors'), { recursive: true });
  if (host !== undefined) await writeFile(join(dir, 'host.json'), typeof host === 'string' ? host : JSON.stringify(host));
  for (const [file, doc] of Object.entries(mirrors)) await writeFile(join(dir, 'mirrors', file), typeof doc === 'string' ? doc : JSON.stringify(doc));
  return dir;
}

function good(entry: MirrorEntry | undefined): HostMirror {
  assert.ok(entry !== undefined && !isBroken(entry), entry !== undefined && isBroken(entry) ? entry.error.message : 'missing');
  return entry;
}

function brokenMessage(entry: MirrorEntry | undefined): string {
  assert.ok(entry !== undefined && isBroken(entry), 'the mirror should be broken');
  assert.equal(entry.error.code, 'config.invalid');
  return entry.error.message;
}

async function hostError(dir: string): Promise<MirrorsyncError> {
  const error = await loadHost(dir).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof MirrorsyncError, 'loadHost should have thrown');
  return error;
}

describe('a config dir: host.json and mirrors/*.json', () => {
  const temp = temporaryFolders('mirrorsync-host-');

  test('--config-dir wins over $MIRRORSYNC_CONFIG_DIR, which wins over /etc/mirrorsync; relative to the working directory', () => {
    assert.equal(resolveConfigDir({ dir: 'conf', env: { MIRRORSYNC_CONFIG_DIR: '/x' }, cwd: '/home/op' }), '/home/op/conf');
    assert.equal(resolveConfigDir({ env: { MIRRORSYNC_CONFIG_DIR: '/x/' }, cwd: '/' }), '/x');
    assert.equal(resolveConfigDir({ env: { MIRRORSYNC_CONFIG_DIR: '' }, cwd: '/' }), '/etc/mirrorsync');
  });

  test('without host.json every default applies; a mirror is named by its file stem unless it sets a name', async () => {
    const dir = await configDir(await temp(), undefined, {
      'sage.json': { target: '/srv/mirror/sage', sources: [source] },
      'other.json': { name: 'cran', target: '/srv/mirror/cran', sources: [source] },
      'notes.txt': 'not a mirror',
      '.sage.json.swp': 'editor junk',
    });
    const { host, mirrors } = await loadHost(dir);
    assert.equal(host.file, null);
    assert.deepEqual([host.maxConcurrentJobs, host.maxConnectionsPerUpstream, host.bwlimitKBps, host.minFreeBytes, host.stateDir], [3, 2, 0, 0, '/var/lib/mirrorsync']);
    assert.deepEqual(mirrors.map((entry) => entry.name), ['cran', 'sage']);
    assert.equal(good(mirrors[1]).config.file, join(dir, 'mirrors', 'sage.json'));
    assert.deepEqual(good(mirrors[1]).filters, []);
  });

  test("host defaults sit under each mirror's values key by key; relative paths are from the config dir", async () => {
    const dir = await configDir(
      await temp(),
      { maxConcurrentJobs: 5, statusFile: 'out/status.json', stateDir: 'state', defaults: { rsync: { timeoutSeconds: 100, retries: 0, args: ['--hard-links'] }, probe: { samples: 1 }, hooks: { onFailure: ['/usr/bin/true'] } } },
      {
        'a.json': { target: '/srv/mirror/a', sources: [source], rsync: { timeoutSeconds: 50 } },
        'b.json': { target: '/srv/mirror/b', sources: [source], rsync: { args: [] }, probe: { samples: 5 }, schedule: { every: '6h', notBetween: ['08:00', '20:00'] }, filters: ['- /arm64/', '+ /pool/**', 'P /keep/'] },
      },
    );
    const { host, mirrors } = await loadHost(dir);
    assert.equal(host.statusFile, join(dir, 'out/status.json'));
    assert.equal(host.stateDir, join(dir, 'state'));
    const a = good(mirrors[0]).config;
    assert.deepEqual([a.rsync.timeoutSeconds, a.rsync.retries, a.rsync.args, a.probe.samples, a.hooks.onFailure], [50, 0, ['--hard-links'], 1, ['/usr/bin/true']]);
    const b = good(mirrors[1]);
    assert.deepEqual([b.config.rsync.timeoutSeconds, b.config.rsync.args, b.config.probe.samples], [100, [], 5]);
    assert.deepEqual(b.schedule, { kind: 'every', seconds: 21_600, notBetween: ['08:00', '20:00'] });
    assert.deepEqual(b.filters, ['- /arm64/', '+ /pool/**', 'P /keep/']);
  });

  test('an invalid host.json is an error naming the file and each JSON path, with did-you-mean', async () => {
    const dir = await configDir(await temp(), { maxConcurentJobs: 2, maxConnectionsPerUpstream: 0, defaults: { rsync: { timeoutSecond: 5 }, probes: {} } }, { 'a.json': { target, sources: [source] } });
    const error = await hostError(dir);
    assert.equal(error.code, 'config.invalid');
    const lines = error.message.split('\n');
    assert.equal(lines[0], `${join(dir, 'host.json')}: 4 problems:`);
    assert.match(error.message, /^maxConcurentJobs: unknown key; did you mean 'maxConcurrentJobs'\?$/m);
    assert.match(error.message, /^maxConnectionsPerUpstream: must be an integer from 1 to 64, got number 0$/m);
    assert.match(error.message, /^defaults\.rsync\.timeoutSecond: unknown key; did you mean 'timeoutSeconds'\?$/m);
    assert.match(error.message, /^defaults\.probes: unknown key; did you mean 'probe'\?$/m);
  });

  test('host.json that is not JSON says where; a config dir without mirrors/ is not found', async () => {
    const dir = await configDir(await temp(), '{\n  "maxConcurrentJobs": 2,\n}', {});
    assert.match((await hostError(dir)).message, /host\.json:3:1: invalid JSON at line 3, column 1/);
    const empty = await temp();
    assert.equal((await hostError(empty)).code, 'config.notFound');
  });

  test('an invalid mirror file breaks that mirror only, with its path and every problem', async () => {
    const dir = await configDir(await temp(), {}, {
      'ok.json': { target: '/srv/mirror/ok', sources: [source] },
      'bad.json': { target: 'relative', sources: [source], schedul: {}, filters: ['. /etc/rules', '- /.mirrorsync', '-! x'] },
      'syntax.json': '{"sources": [}',
      'bad name!.json': { sources: [source] },
      'x.json': { name: 'ok', target, sources: [source] },
      'notarget.json': { sources: [source] },
      'sched.json': { sources: [source], schedule: { every: '6h', cron: '* * * * *', notBetween: ['8:00', '20:00'] } },
    });
    const { mirrors } = await loadHost(dir);
    const byFile = (stem: string) => mirrors.find((entry) => entry.file.endsWith(`/${stem}.json`));
    const bad = brokenMessage(byFile('bad'));
    assert.ok(bad.startsWith(`${join(dir, 'mirrors', 'bad.json')}: 5 problems:`), bad);
    assert.match(bad, /^schedul: unknown key; did you mean 'schedule'\?$/m);
    assert.match(bad, /^target: must be an absolute path/m);
    assert.match(bad, /^filters\[0\]: must be '- PATTERN'.*merge rules.*refused/m);
    assert.match(bad, /^filters\[1\]: must not name mirrorsync's own files/m);
    assert.match(bad, /^filters\[2\]: must be '- PATTERN'/m);
    assert.match(brokenMessage(byFile('syntax')), /syntax\.json:1:14: invalid JSON/);
    assert.match(brokenMessage(byFile('bad name!')), /^\(file name\): the mirror's name is the file's stem/m);
    assert.match(brokenMessage(byFile('ok')), /^name: 'ok' is also the name of .*\/x\.json$/m);
    assert.match(brokenMessage(byFile('x')), /^name: 'ok' is also the name of .*\/ok\.json$/m);
    assert.match(brokenMessage(byFile('notarget')), /^target: is required in a mirror file$/m);
    const sched = brokenMessage(byFile('sched'));
    assert.match(sched, /^schedule: must hold exactly one of 'every' or 'cron'$/m);
    assert.match(sched, /^schedule\.notBetween: must be two local times/m);
  });

  test('schedules: durations and five-field cron expressions are taken, the rest refused', async () => {
    const cases: [unknown, boolean][] = [
      [{ every: '30m' }, true], [{ cron: '15 */6 * * *' }, true], [{ cron: '0 1-5/2 1,15 * 0' }, true], [{ every: '1h', notBetween: ['22:00', '06:00'] }, true], [{ cron: '0 3 * jan-mar MON' }, true],
      [{ every: '10s' }, false], [{ every: 'often' }, false], [{ cron: '* * * *' }, false], [{ cron: '@daily' }, false], [{ cron: '60 * * * *' }, false], [{ cron: '* 24 * * *' }, false], [{ cron: '5-1 * * * *' }, false],
      [{}, false], [{ every: '1h', notBetween: ['10:00', '10:00'] }, false], [{ every: '1h', notBetween: '10:00-12:00' }, false], ['6h', false],
    ];
    const dir = await configDir(await temp(), {}, Object.fromEntries(cases.map(([schedule], index) => [`m${index}.json`, { target, sources: [source], schedule }])));
    const { mirrors } = await loadHost(dir);
    for (const [index, [schedule, ok]] of cases.entries()) {
      const entry = mirrors.find((mirror) => mirror.name === `m${index}`);
      assert.equal(entry !== undefined && !isBroken(entry), ok, `${JSON.stringify(schedule)}: ${entry !== undefined && isBroken(entry) ? entry.error.message : 'accepted'}`);
    }
  });

  test('filter rules: plain exclude, include and protect only, never our own names', () => {
    for (const rule of ['- /arm64/', '+ /pool/**', 'P /keep/', '- *.iso', '- -rf', '+ /dists/*/main/']) assert.equal(checkFilterRule(rule), undefined, rule);
    for (const rule of ['. /etc/f', ': .rules', 'merge /x', 'dir-merge .x', '-/ x', '-, x', '-s x', '! ', 'R x', 'H x', 'exclude x', '-  x', '-x', '- .mirrorsync', '+ /.mirrorsync/**', '- .~mirrorsync-partial~/', '- a\nb', '']) {
      assert.notEqual(checkFilterRule(rule), undefined, rule);
    }
    assert.deepEqual(partialFilterArgs(['- /arm64/', '+ /pool/**', 'P /keep/']), ['--filter=-s /arm64/', '--filter=+s /pool/**', '--filter=P /keep/']);
    assert.throws(() => partialFilterArgs(['. /etc/rules']), /filters: must be/);
  });
});
