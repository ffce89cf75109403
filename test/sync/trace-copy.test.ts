import assert from 'node:assert/strict';
import { lstat, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { patchConfig } from '../faults/support.js';
import { buildNetwork, formatTrace, HOUR_MS, startTraceHttpServer, TRACE_PATH, treeDigest, useLab, writeTrace } from '../lab/index.js';
import { runCli } from '../support/cli.js';

// Issue 12: the tree's trace is the copy the source's probe made over rsync, so a run that
// transfers starts one rsync less. What that copy must keep: the bytes and mtime the source gave
// it, every check a fetched trace gets, and the rule that a trace read over HTTP (possibly another
// file) never becomes the tree's.

const NOW = Date.now();

/** How many times the daemon sent the trace (its transfer log: "send ... <path> <bytes>"). */
async function traceSends(log: string): Promise<number> {
  return log.split('\n').filter((line) => / send \S+ \[[^\]]*\] \S+ \([^)]*\) \S*timestamp\.html \d+/.test(line)).length;
}

describe('the trace read by the probe is the one installed', () => {
  test('an initial sync reads the trace once, and the tree gets its bytes and its mtime', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { files: 30, trace: { path: TRACE_PATH, at: new Date(NOW - HOUR_MS) } } }] });
    const published = new Date('2026-01-02T03:04:05Z');
    await utimes(join(net.tree('master'), TRACE_PATH), published, published);

    const run = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), await treeDigest(net.tree('master')));
    assert.equal(await traceSends(await net.daemon('master').log()), 1, 'the probe read it; no trace pass read it again');
    const installed = await lstat(join(net.target, TRACE_PATH));
    assert.equal(installed.mtime.toISOString(), published.toISOString(), "the source's mtime, as a pass would have set it");
    assert.equal(installed.mode & 0o7777, 0o644, 'our own mode, not one the source chose');
    assert.match(await readFile(join(net.target, '.mirrorsync', 'last-run.log'), 'utf8'), /^== trace from master: the copy its probe read moments ago \(\d+ bytes\), no trace pass$/m);
  });

  test('an incremental run with news reads the master trace once, not three times', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'master', master: true, tree: { files: 20, seed: 'v1', trace: { path: TRACE_PATH, at: new Date(NOW - 2 * HOUR_MS) } } },
        { name: 'alt', tree: { files: 20, seed: 'v1', trace: { path: TRACE_PATH, at: new Date(NOW - 2 * HOUR_MS) } } },
      ],
    });
    assert.equal((await runCli(['sync', '--config', net.configPath])).code, 0);
    const before = await traceSends(await net.daemon('master').log());
    // A new publication on the master only: the alternate has nothing new, so the master is the source.
    await writeFile(join(net.tree('master'), 'new-release.txt'), 'v2');
    await writeTrace(net.tree('master'), TRACE_PATH, new Date(NOW - HOUR_MS));

    const run = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { source: string }).source, 'master');
    assert.equal(await traceSends(await net.daemon('master').log()), before + 1, 'the early probe read it once; the ranking and the install reused that read');
    assert.deepEqual(await treeDigest(net.target, { exclude: ['.mirrorsync'] }), await treeDigest(net.tree('master')));
  });

  test('a source probed over HTTP still gets a trace pass: the tree holds the rsync module trace, never the HTTP one', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      sources: [{ name: 'master', master: true, tree: { files: 10, trace: { path: TRACE_PATH, at: new Date(NOW - HOUR_MS) } } }],
    });
    // The web side publishes another (valid, older) trace than the module holds.
    const web = await startTraceHttpServer(lab, { body: formatTrace(new Date(NOW - 2 * HOUR_MS)) });
    await patchConfig(net.configPath, (doc) => {
      const master = doc.sources[0];
      if (master !== undefined) master['http'] = web.url;
    });
    const run = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await traceSends(await net.daemon('master').log()), 1, 'read once, by the trace pass (the probe used HTTP)');
    const installed = await readFile(join(net.target, TRACE_PATH), 'utf8');
    assert.equal(installed, await readFile(join(net.tree('master'), TRACE_PATH), 'utf8'));
    assert.notEqual(installed, formatTrace(new Date(NOW - 2 * HOUR_MS)), 'the web trace was installed');
    assert.ok(web.requests() > 0, 'the probe did not read the web side');
    const log = await readFile(join(net.target, '.mirrorsync', 'last-run.log'), 'utf8');
    assert.match(log, /^== trace pass from master: /m);
    assert.doesNotMatch(log, /the copy its probe read/);
  });

  test('sync --dry-run says the trace comes from the probe and lists no trace pass', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, { sources: [{ name: 'master', master: true, tree: { files: 5, trace: { path: TRACE_PATH, at: new Date(NOW - HOUR_MS) } } }] });
    const run = await runCli(['sync', '--config', net.configPath, '--dry-run', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const plan = JSON.parse(run.stdout) as { traceFrom: string; commands: string[][] };
    assert.equal(plan.traceFrom, 'probe');
    assert.equal(plan.commands.length, 1);
    assert.equal(plan.commands[0]?.at(-1), `${net.target}/`, 'only the bulk pass');
  });
});
