import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { buildNetwork, HOUR_MS, makeTree, startTraceHttpServer, TRACE_PATH, treeDigest, useLab, writeTrace, type HttpMode, type Lab } from '../lab/index.js';
import { runCli, startCli, type CliResult } from '../support/cli.js';
import { copyTree, digestDiff, mirrorDigest, patchConfig, publish, readStatus, rssKiB, sentFiles, V1, v1Tree, V2, type Status, rankRows } from './support.js';


// The cases below wait for this deadline to fire on a silent or hostile source, so it is short;
// the healthy sources beside them still answer well within it on a busy machine.
const PROBE_TIMEOUT_MS = 5000;
const DEADLINE_MISSED = `^unreachable: no answer within ${PROBE_TIMEOUT_MS} ms`;

/** A tree at v1, and a mirror that equals it. */
async function mirroredTree(lab: Lab, name: string, files = 60): Promise<string> {
  const tree = lab.path('trees', name);
  await makeTree(tree, v1Tree(files));
  await copyTree(tree, lab.path('mirror'));
  return tree;
}

/** The run found no usable source: exit 69, status failed with sources.noneUsable, mirror as before. */
async function assertNoneUsable(result: CliResult, target: string, before: ReadonlyMap<string, string>): Promise<Status> {
  assert.equal(result.code, 69, result.stderr);
  const status = JSON.parse(result.stdout) as Status;
  assert.equal(status.result, 'failed');
  assert.equal(status.error?.code, 'sources.noneUsable');
  assert.deepEqual(status.tried, [], 'a source was tried');
  assert.deepEqual(await mirrorDigest(target), before, 'the mirror changed');
  assert.equal((await readStatus(target)).result, 'failed');
  return status;
}

async function emptyDir(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
}

// Heavy (daemons and CLI runs in every case): one case at a time, so probe deadlines hold on a busy machine.
describe('faulty sources', () => {
  test('a source that accepts TCP and never answers, ranked first, is unusable at probe time; the next source syncs', async (t) => {
    const lab = await useLab(t);
    const tree = await mirroredTree(lab, 'master');
    await publish(tree, { folder: 'v2', files: 10, bytesPerFile: 1024, at: V2 });
    const net = await buildNetwork(lab, {
      probe: { timeoutMs: PROBE_TIMEOUT_MS },
      sources: [
        { name: 'stuck', kind: 'stall', priority: 0 },
        { name: 'master', master: true, priority: 1, tree: { dir: tree } },
      ],
    });
    const result = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as Status;
    assert.equal(status.result, 'synced');
    assert.deepEqual(status.tried.map((entry) => entry.name), ['master'], 'the silent source was synced from');
    assert.deepEqual(await mirrorDigest(net.target), await treeDigest(tree));
    // How long the silent source costs a run is a figure of bench/stall.ts; here, that it never got further than its probe.
    t.diagnostic(`sync took ${Math.round(result.durationMs)} ms with a silent source ranked first`);
    const stuck = (await rankRows(net.configPath)).get('stuck');
    assert.equal(stuck?.usable, false);
    assert.match(stuck?.reason ?? '', new RegExp(DEADLINE_MISSED));
  });

  describe('a source that turns empty is refused before any deletion', () => {
    test('trace configured: the tree emptied and its trace gone, it is the only source: exit 69', async (t) => {
      const lab = await useLab(t);
      const tree = await mirroredTree(lab, 'master');
      const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { dir: tree } }] });
      const before = await mirrorDigest(net.target);
      await emptyDir(tree);
      const status = await assertNoneUsable(await runCli(['sync', '--config', net.configPath, '--json']), net.target, before);
      assert.match(status.error?.message ?? '', /master: refused: trace missing/);
      assert.deepEqual(sentFiles(await net.daemon('master').log()), []);
    });

    test('no trace configured: an empty module is refused by its listing: exit 69', async (t) => {
      const lab = await useLab(t);
      const tree = lab.path('trees', 'master');
      await makeTree(tree, { files: 60, mtime: V1 });
      await copyTree(tree, lab.path('mirror'));
      const net = await buildNetwork(lab, { trace: null, sources: [{ name: 'master', master: true, tree: { dir: tree } }] });
      const before = await mirrorDigest(net.target);
      await emptyDir(tree);
      const status = await assertNoneUsable(await runCli(['sync', '--config', net.configPath, '--json']), net.target, before);
      assert.match(status.error?.message ?? '', /master: refused: empty module/);
    });

    test('emptied but for a new trace: the bulk pass stops at the --max-delete cap (exit 1), the old trace stays', async (t) => {
      // The trace read vouches for the source, and the listing holds the trace's folder, so only
      // the deletion cap stands between this source and the mirror.
      const lab = await useLab(t);
      const tree = await mirroredTree(lab, 'master', 200);
      const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { dir: tree } }] });
      const before = await mirrorDigest(net.target);
      await emptyDir(tree);
      await writeTrace(tree, TRACE_PATH, V2);
      const result = await runCli(['sync', '--config', net.configPath, '--json']);
      assert.equal(result.code, 1, result.stderr);
      const status = JSON.parse(result.stdout) as Status;
      assert.equal(status.error?.code, 'sync.maxDelete');
      const diff = digestDiff(before, await mirrorDigest(net.target));
      const cap = Math.floor(before.size * 0.2);
      t.diagnostic(`an emptied master with a new trace cost the mirror ${diff.lost.length} of ${before.size} entries (cap ${cap})`);
      assert.ok(diff.lost.length <= cap);
      assert.deepEqual(diff.changed, [], 'the old trace was replaced');
    });
  });

  test('a source that lost its trace (tree intact) is refused; the mirror is untouched', async (t) => {
    const lab = await useLab(t);
    const tree = await mirroredTree(lab, 'master');
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { dir: tree } }] });
    const before = await mirrorDigest(net.target);
    await rm(join(tree, 'dir-000', 'file-00000.bin'));
    await rm(join(tree, TRACE_PATH));
    const status = await assertNoneUsable(await runCli(['sync', '--config', net.configPath, '--json']), net.target, before);
    assert.match(status.error?.message ?? '', /master: refused: trace missing/);
    const pinned = await runCli(['sync', '--config', net.configPath, '--source', 'master', '--json']);
    await assertNoneUsable(pinned, net.target, before);
  });

  describe('a source older than the local copy is never synced from', () => {
    test('as the only reachable source, the master being down: nothing to do (exit 0, noop), and the mirror keeps its newer publication', async (t) => {
      // DESIGN: "nothing new" is not a failure; the mirror already holds the newest publication any source offers.
      // (A reachable master older than the mirror is followed instead: test/faults/hostile-time.test.ts.)
      const lab = await useLab(t);
      const tree = await mirroredTree(lab, 'old');
      const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, kind: 'closed' }, { name: 'old', tree: { dir: tree } }] });
      const before = await mirrorDigest(net.target);
      await rm(join(tree, 'dir-000', 'file-00000.bin'));
      await writeTrace(tree, TRACE_PATH, new Date(V1.getTime() - 24 * HOUR_MS));
      const result = await runCli(['sync', '--config', net.configPath, '--json']);
      assert.equal(result.code, 0, result.stderr);
      const status = JSON.parse(result.stdout) as Status;
      assert.equal(status.result, 'noop');
      assert.deepEqual(status.tried, []);
      assert.deepEqual(await mirrorDigest(net.target), before, 'the mirror was rolled back');
      assert.deepEqual(sentFiles(await net.daemon('old').log()).filter((path) => path !== TRACE_PATH), []);
      const row = (await rankRows(net.configPath)).get('old');
      assert.equal(row?.usable, false);
      assert.match(row?.reason ?? '', /^older than local copy by 1d.*would roll the mirror back/);
    });

    test('next to a fresh source: the fresh one is synced from, the old one never', async (t) => {
      const lab = await useLab(t);
      const tree = await mirroredTree(lab, 'master');
      const oldTree = lab.path('trees', 'old');
      await makeTree(oldTree, { files: 30, seed: 'old', bytesPerFile: 1024, trace: { path: TRACE_PATH, at: new Date(V1.getTime() - 24 * HOUR_MS) } });
      await publish(tree, { folder: 'v2', files: 10, bytesPerFile: 1024, at: V2 });
      const net = await buildNetwork(lab, {
        sources: [
          { name: 'old', priority: 0, tree: { dir: oldTree } },
          { name: 'master', master: true, priority: 1, tree: { dir: tree } },
        ],
      });
      const result = await runCli(['sync', '--config', net.configPath, '--json']);
      assert.equal(result.code, 0, result.stderr);
      const status = JSON.parse(result.stdout) as Status;
      assert.deepEqual(status.tried.map((entry) => entry.name), ['master']);
      assert.deepEqual(await mirrorDigest(net.target), await treeDigest(tree));
      assert.deepEqual(sentFiles(await net.daemon('old').log()).filter((path) => path !== TRACE_PATH), []);
    });
  });

  test('all sources down (closed ports): exit 69, status failed, the mirror untouched', async (t) => {
    const lab = await useLab(t);
    await makeTree(lab.path('mirror'), v1Tree(30));
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'master', kind: 'closed', master: true },
        { name: 'alt', kind: 'closed' },
        { name: 'alt2', kind: 'closed' },
      ],
    });
    const before = await mirrorDigest(net.target);
    const result = await runCli(['sync', '--config', net.configPath, '--json']);
    const status = await assertNoneUsable(result, net.target, before);
    // Refused, not timed out: the run did not wait for a deadline.
    for (const name of ['master', 'alt', 'alt2']) assert.match(status.error?.message ?? '', new RegExp(`\\b${name}: unreachable: connection refused`));
  });

  describe('hostile HTTP trace servers', () => {
    const cases: ReadonlyArray<{ mode: HttpMode; reason: RegExp }> = [
      { mode: 'slow', reason: new RegExp(DEADLINE_MISSED) },
      { mode: 'endless', reason: new RegExp(DEADLINE_MISSED) },
      { mode: 'huge', reason: /^trace unreadable: trace over 64 KiB/ },
      { mode: 'hang', reason: new RegExp(DEADLINE_MISSED) },
      { mode: 'redirect-loop', reason: /^trace unreadable: redirect loop/ },
      { mode: 'redirect-file', reason: /^trace unreadable: refused a redirect to a file: URL/ },
      { mode: 'status-500', reason: /^trace unreadable: HTTP 500/ },
    ];
    for (const { mode, reason } of cases) {
      test(`${mode}: the source is unusable with a reason; alone, exit 69 within the probe timeout; beside another source, the sync completes`, async (t) => {
        await hostileHttpCase(t, mode, reason);
      });
    }
  });
});

async function hostileHttpCase(t: TestContext, mode: HttpMode, reason: RegExp): Promise<void> {
  const lab = await useLab(t);
  const tree = await mirroredTree(lab, 'shared', 30);
  await publish(tree, { folder: 'v2', files: 10, bytesPerFile: 1024, at: V2 });
  const server = await startTraceHttpServer(lab, { root: tree, mode });
  const net = await buildNetwork(lab, {
    probe: { timeoutMs: PROBE_TIMEOUT_MS },
    sources: [
      { name: 'master', master: true, priority: 0, tree: { dir: tree } },
      { name: 'alt', priority: 1, tree: { dir: tree } },
    ],
  });
  const withHttp = (doc: { sources: Array<Record<string, unknown>> }) => {
    const master = doc.sources.find((source) => source['name'] === 'master');
    if (master !== undefined) master['http'] = server.url;
  };
  const pair = await patchConfig(net.configPath, withHttp);
  const solo = await patchConfig(net.configPath, (doc) => (doc.sources = doc.sources.filter((source) => source['name'] === 'master')), lab.path('solo.json'));
  const before = await mirrorDigest(net.target);

  const alone = await runMeasured(solo);
  t.diagnostic(`${mode}, alone: exit ${alone.result.code} after ${Math.round(alone.result.durationMs)} ms, peak RSS ${alone.peakKiB} KiB, ${server.requests()} requests`);
  // The reason says the probe deadline (or a bound on what is read) ended it; the time it took is bench/'s concern.
  const status = await assertNoneUsable(alone.result, net.target, before);
  assert.ok(alone.peakKiB < 250 * 1024, `the CLI grew to ${alone.peakKiB} KiB`);
  assert.ok(server.requests() >= 1, 'the hostile server was never asked');
  const message = status.error?.message ?? '';
  const masterReason = /master: (.*?)\)?$/.exec(message)?.[1] ?? message;
  assert.match(masterReason, reason);

  const beside = await runMeasured(pair);
  assert.equal(beside.result.code, 0, beside.result.stderr);
  const synced = JSON.parse(beside.result.stdout) as Status;
  assert.equal(synced.source, 'alt');
  assert.deepEqual(synced.tried.map((entry) => entry.name), ['alt']);
  assert.deepEqual(await mirrorDigest(net.target), await treeDigest(tree));
  assert.ok(beside.peakKiB < 250 * 1024, `the CLI grew to ${beside.peakKiB} KiB`);
}

/** Runs `sync --json` and samples the CLI's resident memory while it runs. */
async function runMeasured(configPath: string): Promise<{ result: CliResult; peakKiB: number }> {
  const cli = startCli(['sync', '--config', configPath, '--json']);
  let peakKiB = 0;
  const pid = cli.child.pid;
  const sampler = setInterval(() => {
    const rss = pid === undefined ? undefined : rssKiB(pid);
    if (rss !== undefined) peakKiB = Math.max(peakKiB, rss);
  }, 20);
  try {
    return { result: await cli.done, peakKiB };
  } finally {
    clearInterval(sampler);
  }
}
