import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { bandwidthShare, upstreamDir, upstreamKey } from '../../src/host/gate.js';
import { countHeldSlots, isFlockHeld, takeSlot } from '../../src/host/slots.js';
import type { HostSettings } from '../../src/host/types.js';
import { temporaryFolders } from '../support/temp-dirs.js';

const HANG_GUARD_MS = 30_000;

async function until(fact: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + HANG_GUARD_MS;
  while (!fact()) {
    if (Date.now() > deadline) throw new Error(`hang guard: ${what}`);
    await delay(20);
  }
}

function hostIn(stateDir: string, bwlimitKBps: number): HostSettings {
  return { dir: stateDir, file: null, maxConcurrentJobs: 3, maxConnectionsPerUpstream: 2, bwlimitKBps, minFreeBytes: 0, stateDir, defaults: {} };
}

describe('host slots: flock files that hold across processes', () => {
  const temp = temporaryFolders('mirrorsync-slots-');

  test('a pool of 2 gives 2 slots; a third taker waits until one is released, then gets it', async () => {
    const pool = { dir: await temp(), size: 2 };
    const signal = new AbortController().signal;
    const first = await takeSlot(pool, signal);
    const second = await takeSlot(pool, signal);
    assert.notEqual(first.path, second.path);
    assert.equal(countHeldSlots([pool.dir]), 2);
    let waited = false;
    const third = takeSlot(pool, signal, () => (waited = true));
    await until(() => waited, 'the third taker never waited');
    await first.release();
    const got = await third;
    assert.equal(got.path, first.path);
    await second.release();
    await got.release();
    assert.equal(countHeldSlots([pool.dir]), 0);
  });

  test('a waiting taker stops when its signal aborts', async () => {
    const pool = { dir: await temp(), size: 1 };
    const held = await takeSlot(pool, new AbortController().signal);
    const controller = new AbortController();
    const waiting = takeSlot(pool, controller.signal, () => controller.abort());
    await assert.rejects(waiting, (error: Error) => /interrupted/.test(error.message));
    await held.release();
  });

  test('a slot handed to a child stays held after the parent lets go, until the child ends (a SIGKILLed mirrorsync frees nothing early)', async () => {
    const pool = { dir: await temp(), size: 1 };
    const slot = await takeSlot(pool, new AbortController().signal);
    const child = spawn('sleep', ['60'], { stdio: ['ignore', 'ignore', 'ignore', slot.fd] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await slot.release();
      assert.ok(isFlockHeld(slot.path), 'the slot was freed while the child holds it');
      assert.equal(countHeldSlots([pool.dir]), 1);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    await until(() => !isFlockHeld(slot.path), 'the slot stayed held after the child ended');
  });

  test("an upstream is its host and port; each pass's bandwidth share is the budget over the passes running, itself included", async () => {
    assert.equal(upstreamKey({ host: 'Mirror.Example.org', port: 873 }), 'mirror.example.org_873');
    assert.equal(upstreamKey({ host: '::1', port: 8873 }), '__1_8873');
    const stateDir = await temp();
    const host = hostIn(stateDir, 3000);
    assert.equal(bandwidthShare(hostIn(stateDir, 0)), undefined);
    const signal = new AbortController().signal;
    const a = await takeSlot({ dir: upstreamDir(host, { host: 'a.example', port: 873 }), size: 2 }, signal);
    assert.equal(bandwidthShare(host), 3000);
    const b = await takeSlot({ dir: upstreamDir(host, { host: 'b.example', port: 873 }), size: 2 }, signal);
    const c = await takeSlot({ dir: upstreamDir(host, { host: 'a.example', port: 873 }), size: 2 }, signal);
    assert.equal(bandwidthShare(host), 1000);
    await b.release();
    assert.equal(bandwidthShare(host), 1500);
    await a.release();
    await c.release();
    assert.equal(countHeldSlots([join(stateDir, 'upstreams', 'a.example_873')]), 0);
  });
});
