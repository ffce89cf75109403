import assert from 'node:assert/strict';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { checkNetwork } from '../../src/network/check.js';
import type { CheckRow } from '../../src/network/types.js';
import { closedPort, startDaemon, startFileServer, useLab, writeTrace, type Lab } from '../lab/index.js';
import { TRACE } from './mirror-lab.js';

const GIB = 1024 ** 3;
const TAIL = '@ERROR: max connections (9) reached -- try again later\n';
const TIMEOUT_MS = 1500;

// A mirror whose status.json is 1 MiB and whose last-run.log is 1 GB (sparse) ending in rsync's error.
async function hostileTree(lab: Lab): Promise<string> {
  const dir = lab.path('tree');
  await writeTrace(dir, TRACE, new Date(Date.now() - 3_600_000));
  await mkdir(join(dir, '.mirrorsync'));
  await writeFile(join(dir, '.mirrorsync', 'status.json'), `{"result": "${'x'.repeat(1024 * 1024)}"}`);
  const log = await open(join(dir, '.mirrorsync', 'last-run.log'), 'w');
  try {
    const end = `\nreceiving incremental file list\n${TAIL}`;
    await log.truncate(GIB - end.length);
    await log.write(end, GIB - end.length);
  } finally {
    await log.close();
  }
  return dir;
}

// The mirror under test beside a master (the config needs one with an rsync url) that is down.
async function checkOne(lab: Lab, source: Record<string, unknown>): Promise<{ row: CheckRow | undefined; elapsedMs: number }> {
  const file = lab.path('sage.json');
  await writeFile(file, JSON.stringify({ name: 'sage', trace: TRACE, sources: [{ name: 'master', master: true, url: `rsync://127.0.0.1:${await closedPort(lab)}/sage/` }, { name: 'mirror', ...source }], probe: { timeoutMs: TIMEOUT_MS, samples: 1 } }));
  const config = await loadConfig({ file, env: {}, cwd: lab.root });
  const started = Date.now();
  const check = await checkNetwork(config);
  return { row: check.rows.find((row) => row.source === 'mirror'), elapsedMs: Date.now() - started };
}

// Many times the deadline: the check must end by its deadline, this only keeps a hang from passing.
const HANG_GUARD_MS = TIMEOUT_MS * 10;

describe('network check against hostile and broken mirrors', () => {
  test('over HTTP: a 1 MiB status.json is refused and only the tail of a 1 GB log is read', async (t) => {
    const lab = await useLab(t);
    const server = await startFileServer(lab, { root: await hostileTree(lab) });
    const { row, elapsedMs } = await checkOne(lab, { http: server.url });
    assert.equal(row?.ok, true);
    assert.match(row?.own?.problem ?? '', /status\.json: over 64 KiB/);
    assert.equal(row?.own?.logError, TAIL.trimEnd());
    assert.ok(server.bytesSent() < 8 * 1024 * 1024, `sent ${server.bytesSent()} bytes`);
    assert.ok(elapsedMs < HANG_GUARD_MS, `took ${elapsedMs} ms`);
  });

  test('over HTTP from a server that ignores Range, the 1 GB log is not downloaded', async (t) => {
    const lab = await useLab(t);
    const server = await startFileServer(lab, { root: await hostileTree(lab), ignoreRange: true });
    const { row, elapsedMs } = await checkOne(lab, { http: server.url });
    assert.match(row?.own?.problem ?? '', /last-run\.log: \d+ bytes and the server ignores Range requests: not read/);
    assert.equal(row?.own?.logError, null);
    assert.ok(server.bytesSent() < 64 * 1024 * 1024, `sent ${server.bytesSent()} bytes of 1 GiB`);
    assert.ok(elapsedMs < HANG_GUARD_MS, `took ${elapsedMs} ms`);
  });

  test('over rsync, neither the huge status.json nor the 1 GB log is copied', async (t) => {
    const lab = await useLab(t);
    const daemon = await startDaemon(lab, { name: 'mirror', tree: await hostileTree(lab) });
    const { row, elapsedMs } = await checkOne(lab, { url: daemon.url });
    assert.equal(row?.ok, true);
    assert.match(row?.own?.problem ?? '', /status\.json is not a regular file of at most 64 KiB.*the log is not a regular file of at most 64 KiB/);
    assert.ok(elapsedMs < HANG_GUARD_MS, `took ${elapsedMs} ms`);
  });

  test('a server that drips its answers ends the check at the probe deadline', async (t) => {
    const lab = await useLab(t);
    const server = await startFileServer(lab, { root: await hostileTree(lab), dripMs: 200 });
    const { row, elapsedMs } = await checkOne(lab, { http: server.url });
    assert.equal(row?.ok, false);
    assert.match(row?.error ?? '', /^timeout: /);
    assert.match(row?.own?.problem ?? '', /timed out/);
    assert.ok(elapsedMs < HANG_GUARD_MS, `took ${elapsedMs} ms`);
  });
});
