import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTree, setTreeMtime, startDaemon, useLab } from '../lab/index.js';
import { probeLocal } from '../../src/sources/probe-local.js';
import { probeSource } from '../../src/sources/probe.js';
import { LISTING_MAX_ENTRIES, freshnessFromListing, listTopLevel, readTraceOverRsync } from '../../src/sources/probe-trace-rsync.js';
import { probeConfig, source } from './probe-config.js';

const SAGE_TRACE = 'zzz/timestamp.html';
const PUBLISHED = new Date('2024-05-18T15:25:00Z');
const NOW = new Date('2024-06-01T00:00:00Z');

describe('freshness over an rsync daemon', () => {
  test('a fresh Sage trace is read with its date and identity, equal to the local copy of the same tree', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 4, trace: { path: SAGE_TRACE, at: PUBLISHED, format: 'sage' } });
    const daemon = await startDaemon(lab, { name: 'master', tree: lab.path('tree') });
    const result = await probeSource(source('master', { url: daemon.url, master: true }), probeConfig([], { trace: SAGE_TRACE }), { now: NOW });
    assert.equal(result.failure, null);
    assert.equal(result.via, 'rsync-trace');
    assert.equal(result.reachable, true);
    assert.equal(typeof result.latencyMs, 'number');
    assert.equal(result.freshness?.at.toISOString(), PUBLISHED.toISOString());
    assert.match(result.freshness?.identity ?? '', /^9\.6 \/ 9\.6 \/ [0-9a-f]{32} \/ [0-9a-f]{32}$/);
    const local = await probeLocal(lab.path('tree'), SAGE_TRACE, { now: NOW });
    assert.deepEqual(result.freshness, local.freshness);
  });

  test('a Debian trace gives the archive serial as identity', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 1, trace: { path: 'project/trace/master', at: new Date('2024-05-18T15:39:01Z'), format: 'debian' } });
    const daemon = await startDaemon(lab, { name: 'debian', tree: lab.path('tree'), module: 'debian' });
    const result = await probeSource(source('d', { url: daemon.url }), probeConfig([], { trace: 'project/trace/master' }), { now: NOW });
    assert.equal(result.freshness?.at.toISOString(), '2024-05-18T15:39:01.000Z');
    assert.match(result.freshness?.identity ?? '', /^20240518\d\d$/);
  });

  test('a missing trace is trace-missing; a garbage one is trace-garbage', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 2 });
    const daemon = await startDaemon(lab, { name: 'm', tree: lab.path('tree') });
    const missing = await probeSource(source('m', { url: daemon.url }), probeConfig([], { trace: SAGE_TRACE }));
    assert.deepEqual(missing.failure, { kind: 'trace-missing', message: 'the trace file does not exist on the source' });
    assert.equal(missing.freshness, null);

    await mkdir(lab.path('tree', 'zzz'));
    await writeFile(lab.path('tree', SAGE_TRACE), '<html><body>Mirror under maintenance</body></html>\n');
    const garbage = await probeSource(source('m', { url: daemon.url }), probeConfig([], { trace: SAGE_TRACE }));
    assert.equal(garbage.failure?.kind, 'trace-garbage');
    assert.equal(garbage.failure?.message, "no date found in the first line: '<html><body>Mirror under maintenance</body></html>'");
  });

  test('a trace over 64 KiB is refused without being copied whole', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 1 });
    await writeFile(lab.path('tree', 'trace'), `2024-05-18T15:25:00Z\n${'x'.repeat(5 * 1024 * 1024)}`);
    const daemon = await startDaemon(lab, { name: 'big', tree: lab.path('tree') });
    const read = await readTraceOverRsync(`${daemon.url}trace`, { binary: 'rsync', signal: AbortSignal.timeout(60_000) });
    assert.deepEqual(read, { failure: { kind: 'trace-garbage', message: 'the trace is not a regular file of at most 64 KiB' } });
  });

  test('an unknown module is refused with the daemon\'s words', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 1 });
    const daemon = await startDaemon(lab, { name: 'x', tree: lab.path('tree') });
    const result = await probeSource(source('x', { url: `rsync://127.0.0.1:${daemon.port}/nosuch/` }), probeConfig([], { trace: 'trace' }));
    assert.deepEqual(result.failure, { kind: 'refused', message: "Unknown module 'nosuch'" });
    assert.equal(result.reachable, true);
  });
});

describe('freshness by listing (no trace configured)', () => {
  test('an empty module is refused as empty', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('empty'), { files: 0 });
    const daemon = await startDaemon(lab, { name: 'e', tree: lab.path('empty') });
    const result = await probeSource(source('e', { url: daemon.url }), probeConfig([]));
    assert.equal(result.via, 'rsync-listing');
    assert.deepEqual(result.failure, { kind: 'empty', message: "the listing holds nothing but '.'" });
  });

  test('the newest top-level mtime is the freshness, as setTreeMtime set it, and matches the local reading', async (t) => {
    const lab = await useLab(t);
    const tree = lab.path('tree');
    await makeTree(tree, { files: 9, dirs: 3 });
    const at = new Date('2024-02-03T04:05:06Z');
    await setTreeMtime(tree, at);
    const daemon = await startDaemon(lab, { name: 'l', tree });
    const first = await probeSource(source('l', { url: daemon.url }), probeConfig([]));
    assert.equal(first.failure, null);
    assert.equal(first.freshness?.at.toISOString(), at.toISOString());

    const newer = new Date('2024-02-05T00:00:01Z');
    await utimes(lab.path('tree', 'dir-001'), newer, newer);
    const second = await probeSource(source('l', { url: daemon.url }), probeConfig([]));
    assert.equal(second.freshness?.at.toISOString(), newer.toISOString());
    assert.deepEqual(second.freshness, (await probeLocal(tree, undefined)).freshness);
  });

  test('listTopLevel returns the entries with sizes and mtimes in UTC', async (t) => {
    const lab = await useLab(t);
    const tree = lab.path('tree');
    await makeTree(tree, { files: 2, dirs: 0, bytesPerFile: 1234567 });
    const daemon = await startDaemon(lab, { name: 'list', tree });
    const listing = await listTopLevel(daemon.url, { binary: 'rsync', signal: AbortSignal.timeout(60_000) });
    assert.ok('entries' in listing, JSON.stringify(listing));
    const names = listing.entries.map((entry) => entry.name).sort();
    assert.deepEqual(names, ['.', 'file-00000.bin', 'file-00001.bin']);
    assert.equal(listing.entries.find((entry) => entry.name === 'file-00000.bin')?.size, 1234567);
    assert.ok(!('failure' in freshnessFromListing(listing.entries)));
  });

  test('a listing longer than the cap keeps a bounded number of entries and still finds the newest', async (t) => {
    const lab = await useLab(t);
    const tree = lab.path('tree');
    await mkdir(tree, { recursive: true });
    const old = new Date('2024-01-01T00:00:00Z');
    const names = Array.from({ length: LISTING_MAX_ENTRIES + 50 }, (_, i) => `f${String(i).padStart(6, '0')}`);
    for (const name of names) {
      await writeFile(join(tree, name), '');
      await utimes(join(tree, name), old, old);
    }
    // Sorted last by rsync, so it lies past the cap.
    const newest = new Date('2024-03-01T00:00:00Z');
    await utimes(join(tree, names.at(-1) ?? ''), newest, newest);
    const daemon = await startDaemon(lab, { name: 'long', tree });
    const listing = await listTopLevel(daemon.url, { binary: 'rsync', signal: AbortSignal.timeout(60_000) });
    assert.ok('entries' in listing, JSON.stringify(listing));
    assert.ok(listing.entries.length <= LISTING_MAX_ENTRIES + 1, `${listing.entries.length} entries kept`);
    const freshness = freshnessFromListing(listing.entries);
    assert.ok('at' in freshness, JSON.stringify(freshness));
    assert.equal(freshness.at.toISOString(), newest.toISOString());
  });
});

describe('password-protected modules', () => {
  const AUTH = { user: 'alice', password: 's3cret-pw' };

  // A wrapper in place of the rsync binary records what rsync would be given, then runs it.
  async function recordingRsync(dir: string): Promise<string> {
    await mkdir(dir, { recursive: true });
    const script = `${dir}/rsync`;
    await writeFile(script, [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > '${dir}/argv'`,
      `env > '${dir}/env'`,
      `if [ -t 0 ]; then echo yes > '${dir}/tty'; fi`,
      'exec rsync "$@"',
      '',
    ].join('\n'));
    await chmod(script, 0o755);
    return script;
  }

  test('read with the password from the url: not in argv, not in the environment, no terminal', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 1, trace: { path: 'trace', at: PUBLISHED, format: 'iso' } });
    const daemon = await startDaemon(lab, { name: 'auth', tree: lab.path('tree'), auth: AUTH });
    const binary = await recordingRsync(lab.path('bin'));
    const url = `rsync://alice:${AUTH.password}@127.0.0.1:${daemon.port}/${daemon.module}/`;
    const result = await probeSource(source('a', { url }), probeConfig([], { trace: 'trace', binary }), { now: NOW });
    assert.equal(result.failure, null);
    assert.equal(result.freshness?.at.toISOString(), PUBLISHED.toISOString());
    const argv = await readFile(lab.path('bin', 'argv'), 'utf8');
    const env = await readFile(lab.path('bin', 'env'), 'utf8');
    assert.ok(argv.includes('--password-file=-'), argv);
    assert.ok(!argv.includes(AUTH.password), argv);
    assert.ok(!env.includes(AUTH.password), 'the password is not in the environment');
    assert.match(env, /^TZ=UTC$/m);
    assert.match(env, /^LC_ALL=C$/m);
    await assert.rejects(readFile(lab.path('bin', 'tty')), { code: 'ENOENT' });
  });

  test('read with the password from a passwordFile', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 1, trace: { path: 'trace', at: PUBLISHED, format: 'iso' } });
    const daemon = await startDaemon(lab, { name: 'auth', tree: lab.path('tree'), auth: AUTH });
    await writeFile(lab.path('password'), `${AUTH.password}\n`, { mode: 0o600 });
    const src = source('a', { url: `rsync://alice@127.0.0.1:${daemon.port}/${daemon.module}/`, passwordFile: lab.path('password') });
    const result = await probeSource(src, probeConfig([], { trace: 'trace' }), { now: NOW });
    assert.equal(result.failure, null);
    assert.equal(result.freshness?.at.toISOString(), PUBLISHED.toISOString());
  });

  test('without a password it fails at once (no prompt), and an inherited RSYNC_PASSWORD is not used', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 1, trace: { path: 'trace', at: PUBLISHED, format: 'iso' } });
    const daemon = await startDaemon(lab, { name: 'auth', tree: lab.path('tree'), auth: AUTH });
    const saved = process.env.RSYNC_PASSWORD;
    process.env.RSYNC_PASSWORD = AUTH.password;
    t.after(() => {
      if (saved === undefined) delete process.env.RSYNC_PASSWORD;
      else process.env.RSYNC_PASSWORD = saved;
    });
    // A prompt would hold the probe until its deadline and end as a timeout: a refusal proves there was none.
    const result = await probeSource(source('a', { url: `rsync://alice@127.0.0.1:${daemon.port}/${daemon.module}/` }), probeConfig([], { trace: 'trace', timeoutMs: 60_000 }));
    assert.deepEqual(result.failure, { kind: 'refused', message: `auth failed on module ${daemon.module}` });
  });

  test('a wrong password is refused', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 1 });
    const daemon = await startDaemon(lab, { name: 'auth', tree: lab.path('tree'), auth: AUTH });
    const result = await probeSource(source('a', { url: `rsync://alice:wrong@127.0.0.1:${daemon.port}/${daemon.module}/` }), probeConfig([]));
    assert.deepEqual(result.failure, { kind: 'refused', message: `auth failed on module ${daemon.module}` });
  });
});
