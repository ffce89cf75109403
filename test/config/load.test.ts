import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, resolveConfigFile } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { isMirrorsyncError, type ErrorCode } from '../../src/errors.js';
import { repoRoot } from '../support/paths.js';
import { baseDoc } from './cases.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mirrorsync-load-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh folder under the test's temp dir, holding the given files. */
async function folder(name: string, files: Record<string, string> = {}): Promise<string> {
  const path = join(dir, name);
  await mkdir(path, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(path, file), text);
  return path;
}

function docText(patch: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...baseDoc(), ...patch }, null, 2);
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, check: (message: string) => void = () => {}): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isMirrorsyncError(error), String(error));
    assert.equal(error.code, code, error.message);
    check(error.message);
    return true;
  });
}

describe('the shipped sources.json', () => {
  let config: Config;
  before(async () => {
    config = await loadConfig({ file: join(repoRoot, 'sources.json'), env: {} });
  });

  test('loads the SageMath network: 20 sources, one master with an rsync url', () => {
    assert.equal(config.file, join(repoRoot, 'sources.json'));
    assert.equal(config.name, 'sage');
    assert.equal(config.target, '/srv/mirror/sage');
    assert.equal(config.trace, 'zzz/timestamp.html');
    assert.equal(config.sources.length, 20);
    const masters = config.sources.filter((source) => source.master);
    assert.equal(masters.length, 1);
    assert.deepEqual(masters[0], { name: 'master', url: 'rsync.sagemath.org::sage', http: 'http://files.sagemath.org/', master: true, priority: 0 });
  });

  test('the alternate has both rsync and http; the others are probe-only with a country code', () => {
    const alternate = config.sources.find((source) => source.name === 'mirrorservice');
    assert.equal(alternate?.url, 'rsync://rsync.mirrorservice.org/www.sagemath.org/');
    assert.equal(alternate?.region, 'GB');
    const probeOnly = config.sources.filter((source) => source.url === undefined);
    assert.equal(probeOnly.length, 18);
    for (const source of probeOnly) {
      assert.match(source.http ?? '', /^https:\/\/.+\/$/, source.name);
      assert.match(source.region ?? '', /^[A-Z]{2}$/, source.name);
      assert.equal(source.passwordFile, undefined);
    }
    assert.equal(new Set(config.sources.map((source) => source.name)).size, 20);
  });

  test('every default is filled in', () => {
    assert.deepEqual(config.rsync, { args: [], timeoutSeconds: 600, connectTimeoutSeconds: 30, maxDurationSeconds: 43200, maxDeleteFraction: 0.2, retries: 2, retryDelaySeconds: 10, binary: 'rsync', cve2024Patched: false, keepUnsafeLinks: false });
    assert.deepEqual(config.probe, { timeoutMs: 5000, samples: 3, freshWithinSeconds: 21600, maxClockSkewSeconds: 300 });
    assert.deepEqual(config.hooks, {});
  });

  test('the result is deeply frozen: assigning throws in strict mode', () => {
    assert.throws(() => {
      (config as { name: string }).name = 'x';
    }, TypeError);
    assert.throws(() => {
      (config.sources[0] as { url?: string }).url = '--rsh=sh';
    }, TypeError);
    assert.throws(() => (config.rsync.args as string[]).push('--delete'), TypeError);
    assert.throws(() => (config.sources as unknown[]).pop(), TypeError);
    assert.throws(() => {
      (config.probe as { samples: number }).samples = 1;
    }, TypeError);
    assert.ok(Object.isFrozen(config.hooks));
  });
});

describe('which file is read', () => {
  test('--config is read relative to cwd, before ./sources.json and $MIRRORSYNC_CONFIG', async () => {
    const cwd = await folder('explicit', { 'sources.json': docText({ name: 'local' }), 'other.json': docText({ name: 'explicit' }) });
    const env = { MIRRORSYNC_CONFIG: join(cwd, 'sources.json') };
    const config = await loadConfig({ file: 'other.json', cwd, env });
    assert.equal(config.name, 'explicit');
    assert.equal(config.file, join(cwd, 'other.json'));
  });

  test('$MIRRORSYNC_CONFIG comes before ./sources.json in cwd: an explicit environment beats a stray file', async () => {
    const elsewhere = await folder('env-beats-local', { 'mirror.json': docText({ name: 'from-env' }) });
    const cwd = await folder('local-loses', { 'sources.json': docText({ name: 'local' }) });
    const config = await loadConfig({ cwd, env: { MIRRORSYNC_CONFIG: join(elsewhere, 'mirror.json') } });
    assert.equal(config.name, 'from-env');
    assert.equal((await loadConfig({ cwd, env: { MIRRORSYNC_CONFIG: '' } })).name, 'local', 'an empty variable is unset');
  });

  test('$MIRRORSYNC_CONFIG is used when cwd has no sources.json', async () => {
    const elsewhere = await folder('env-wins', { 'mirror.json': docText({ name: 'from-env' }) });
    const cwd = await folder('empty-cwd');
    const config = await loadConfig({ cwd, env: { MIRRORSYNC_CONFIG: join(elsewhere, 'mirror.json') } });
    assert.equal(config.name, 'from-env');
    assert.equal(config.file, join(elsewhere, 'mirror.json'));
    assert.equal(await resolveConfigFile({ cwd, env: { MIRRORSYNC_CONFIG: '../env-wins/mirror.json' } }), join(elsewhere, 'mirror.json'));
  });

  test('nothing found is config.notFound, saying where it looked', async () => {
    const cwd = await folder('nothing');
    await rejectsWith(loadConfig({ cwd, env: {} }), 'config.notFound', (message) => assert.match(message, /--config FILE.*MIRRORSYNC_CONFIG.*sources\.json/));
    await rejectsWith(loadConfig({ cwd, env: { MIRRORSYNC_CONFIG: '' } }), 'config.notFound');
    await rejectsWith(loadConfig({ cwd, env: { MIRRORSYNC_CONFIG: join(cwd, 'gone.json') } }), 'config.notFound', (message) => assert.ok(message.startsWith(join(cwd, 'gone.json'))));
    await rejectsWith(loadConfig({ cwd, file: 'missing.json', env: {} }), 'config.notFound', (message) => assert.ok(message.startsWith(join(cwd, 'missing.json'))));
    await rejectsWith(loadConfig({ cwd, file: '.', env: {} }), 'config.notFound', (message) => assert.equal(message, `${cwd}: config file is a folder, not a file (given with --config)`));
    await rejectsWith(loadConfig({ cwd, env: { MIRRORSYNC_CONFIG: '/dev/null' } }), 'config.notFound', (message) => assert.equal(message, '/dev/null: config file is not a regular file (named by $MIRRORSYNC_CONFIG)'));
    await rejectsWith(loadConfig({ cwd, file: 'missing.json', env: {} }), 'config.notFound', (message) => assert.equal(message, `${join(cwd, 'missing.json')}: config file not found (given with --config)`));
  });
});

describe('--target', () => {
  test('replaces the file target; a relative one is refused, never taken from cwd', async () => {
    const cwd = await folder('target', { 'sources.json': docText() });
    assert.equal((await loadConfig({ cwd, env: {}, target: '/data/mirror/' })).target, '/data/mirror');
    await assert.rejects(loadConfig({ cwd, env: {}, target: 'tree' }), (error: Error & { code?: string }) => error.code === 'config.invalid' && /--target: .*absolute/.test(error.message));
    assert.equal((await loadConfig({ cwd, env: {} })).target, '/srv/mirror/test');
  });

  test('supplies the target when the file has none', async () => {
    const { target: _unused, ...withoutTarget } = baseDoc();
    const cwd = await folder('no-target', { 'sources.json': JSON.stringify(withoutTarget) });
    assert.equal((await loadConfig({ cwd, env: {} })).target, undefined);
    assert.equal((await loadConfig({ cwd, env: {}, target: '/srv/from-option' })).target, '/srv/from-option');
  });

  test('an unsafe --target is config.invalid, named as --target', async () => {
    const cwd = await folder('bad-target', { 'sources.json': docText() });
    await rejectsWith(loadConfig({ cwd, env: {}, target: '/etc' }), 'config.invalid', (message) => assert.match(message, /^--target: must not be the system directory '\/etc'/m));
  });
});

describe('broken files', () => {
  test('truncated JSON names the file, line and column', async () => {
    const text = docText();
    const cut = text.indexOf('"alt"');
    const cwd = await folder('truncated', { 'sources.json': text.slice(0, cut) });
    const lines = text.slice(0, cut).split('\n');
    const file = join(cwd, 'sources.json');
    await rejectsWith(loadConfig({ cwd, env: {} }), 'config.invalid', (message) => {
      assert.ok(message.startsWith(`${file}:${lines.length}:`), message);
      assert.match(message, new RegExp(`invalid JSON at line ${lines.length}, column \\d+: .*end of the file`));
    });
  });

  test('a syntax error in the middle points at it', async () => {
    const cwd = await folder('comma', { 'sources.json': '{\n  "name": "x"\n  "sources": []\n}\n' });
    await rejectsWith(loadConfig({ cwd, env: {} }), 'config.invalid', (message) => assert.match(message, /:3:3: invalid JSON at line 3, column 3: expected ',' or '}' after a property value, found '"'/));
  });

  test('an empty file is invalid JSON', async () => {
    const cwd = await folder('empty', { 'sources.json': '' });
    await rejectsWith(loadConfig({ cwd, env: {} }), 'config.invalid', (message) => assert.match(message, /line 1, column 1: expected a value/));
  });

  test('a repeated key is reported, since JSON would keep only the last', async () => {
    const cwd = await folder('duplicate', { 'sources.json': '{"target": "/srv/a", "target": "/srv/b", "sources": [{"name": "m", "url": "h::m", "master": true}]}' });
    await rejectsWith(loadConfig({ cwd, env: {} }), 'config.invalid', (message) => assert.match(message, /^target: duplicate key/m));
  });

  test('every problem is listed, one per line, after a first line naming the file', async () => {
    const cwd = await folder('several', { 'sources.json': docText({ target: '/', trace: '../t', probe: { samples: 0 } }) });
    const file = join(cwd, 'sources.json');
    await rejectsWith(loadConfig({ cwd, env: {} }), 'config.invalid', (message) => {
      const [first, ...rest] = message.split('\n');
      assert.equal(first, `${file}: 3 problems:`);
      assert.deepEqual(rest.map((line) => line.split(':')[0]), ['target', 'trace', 'probe.samples']);
    });
  });

  test('a byte order mark at the start is accepted', async () => {
    const cwd = await folder('bom', { 'sources.json': `\uFEFF${docText({ name: 'bom' })}` });
    assert.equal((await loadConfig({ cwd, env: {} })).name, 'bom');
  });
});
