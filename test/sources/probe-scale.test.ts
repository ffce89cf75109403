// Probes at scale (DESIGN "Probes at scale", issue 12): hundreds of dead sources must not make the
// master or the live sources time out. Speed is measured in bench/rank.ts; this guards the facts.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { closedPort, makeTree, startDaemon, startStallServer, useLab } from '../lab/index.js';
import { runCli } from '../support/cli.js';

const TRACE = 'zzz/timestamp.html';
const DEAD = 297;
const TIMEOUT_MS = 3000;

interface Row {
  name: string;
  usable: boolean;
  reachable: boolean;
  latencyMs: number | null;
  reason: string;
}

describe('probing hundreds of sources', () => {
  test('master + 2 live + 297 dead (stalled and closed): the master and the live sources are usable', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('tree'), { files: 3, trace: { path: TRACE, at: new Date(Date.now() - 3_600_000) } });
    const live = [];
    for (const name of ['master', 'live-1', 'live-2']) live.push({ name, url: (await startDaemon(lab, { name, tree: lab.path('tree') })).url, master: name === 'master' });
    const dead = [];
    for (let i = 0; i < DEAD; i += 1) {
      const url = i % 2 === 0 ? (await startStallServer(lab)).url : `rsync://127.0.0.1:${await closedPort(lab)}/${lab.module}/`;
      dead.push({ name: `dead-${i}`, url, master: false });
    }
    const configPath = lab.path('sources.json');
    // The master in the middle of the list: it must be probed first wherever it stands.
    const sources = [...dead.slice(0, 150), live[0], ...dead.slice(150), live[1], live[2]];
    await writeFile(configPath, JSON.stringify({ name: 'sage', target: lab.path('mirror'), trace: TRACE, sources, probe: { timeoutMs: TIMEOUT_MS } }));
    const started = performance.now();
    const result = await runCli(['sources', 'rank', '--config', configPath, '--json'], { timeoutMs: 120_000 });
    const elapsed = performance.now() - started;
    assert.equal(result.code, 0, result.stderr);
    const rows = new Map((JSON.parse(result.stdout) as { sources: Row[] }).sources.map((row) => [row.name, row]));
    for (const name of ['master', 'live-1', 'live-2']) assert.equal(rows.get(name)?.usable, true, `${name}: ${rows.get(name)?.reason}`);
    assert.match(rows.get('dead-0')?.reason ?? '', /^unreachable: no answer within 3000 ms/);
    assert.match(rows.get('dead-1')?.reason ?? '', /^unreachable: connection refused/);
    assert.equal([...rows.values()].filter((row) => row.usable).length, 3);
    // Latency sanity: measured for the live ones, none for a closed port; no listener-leak warning for 300 sources.
    for (const name of ['master', 'live-1', 'live-2']) {
      const latency = rows.get(name)?.latencyMs;
      assert.ok(latency !== null && latency !== undefined && latency >= 0 && latency < TIMEOUT_MS, `${name}: latency ${latency}`);
    }
    assert.equal(rows.get('dead-1')?.latencyMs, null);
    assert.doesNotMatch(result.stderr, /Warning/);
    // A hang guard only (the ≤ 2× timeout figure is bench/rank.ts's): ten times the timeout.
    assert.ok(elapsed < 10 * TIMEOUT_MS, `ranking hung for ${Math.round(elapsed)} ms`);
    t.diagnostic(`ranked ${sources.length} sources in ${Math.round(elapsed)} ms; master latency ${rows.get('master')?.latencyMs} ms`);
  });
});
