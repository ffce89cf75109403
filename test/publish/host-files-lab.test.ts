import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { diskFilePath } from '../../src/publish/host-files.js';
import { useLab } from '../lab/index.js';
import { buildHost, type LabMirror } from '../host/support.js';
import { gatherProm, parseProm } from '../report/prom-parse.js';
import { runCli, startCli } from '../support/cli.js';
import { checkTunasyncJob } from './formats.js';

const SIX: LabMirror[] = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'].map((name) => ({ name, upstream: `up-${name[0] ?? ''}`, tree: { files: 12, bytesPerFile: 16_384 } }));

describe('the host status and metrics files (real daemons)', () => {
  test('the status file is rewritten whole at every start and end while readers read it in a loop; the metrics file holds every mirror without collisions', async (t) => {
    const lab = await useLab(t);
    const statusFile = lab.path('www', 'tunasync.json');
    const metricsFile = lab.path('textfile', 'mirrors.prom');
    const host = await buildHost(lab, {
      host: { maxConcurrentJobs: 3, maxConnectionsPerUpstream: 1, statusFile, metricsFile },
      upstreams: ['up-a', 'up-b'].map((name) => ({ name, bwlimitKBps: 256 })),
      mirrors: SIX,
    });
    const run = startCli(['sync', '--all', '--config-dir', host.dir, '--json'], { timeoutMs: 180_000 });
    let ended = false;
    const finished = run.done.finally(() => (ended = true));
    const seen = new Set<string>();
    let reads = 0;
    // A reader as a web server is one: read, parse, use; never a partial or invalid document.
    const fileReader = (async () => {
      while (!ended) {
        let text: string;
        try {
          text = await readFile(statusFile, 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // not written yet
          throw error;
        }
        const jobs = JSON.parse(text) as unknown[];
        assert.equal(jobs.length, SIX.length);
        for (const job of jobs) checkTunasyncJob(job);
        seen.add(text);
        reads += 1;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const cliReader = (async () => {
      while (!ended) {
        const result = await runCli(['status', '--all', '--json', '--config-dir', host.dir]);
        for (const job of JSON.parse(result.stdout) as unknown[]) checkTunasyncJob(job);
      }
    })();
    const result = await finished;
    await Promise.all([fileReader, cliReader]);
    assert.equal(result.code, 0, result.stderr);
    t.diagnostic(`${reads} reads of the status file, ${seen.size} different versions`);
    assert.ok(seen.size >= 3, `the file was rewritten as mirrors started and ended (${seen.size} versions seen)`);

    const jobs = JSON.parse(await readFile(statusFile, 'utf8')) as Array<Record<string, unknown>>;
    assert.deepEqual(jobs.map((job) => [job['name'], job['status']]), SIX.map((mirror) => [mirror.name, 'success']));
    // size is rsync's "Total file size" of the synced tree (12 files of 16 KiB and the trace), not du.
    for (const job of jobs) assert.match(job['size'] as string, /^19\d\.\d\dK$/);
    const disk = JSON.parse(await readFile(diskFilePath(statusFile), 'utf8')) as { filesystems: Array<{ mirrors: string[]; totalBytes: number; freeBytes: number }> };
    assert.deepEqual(disk.filesystems.flatMap((fs) => fs.mirrors).sort(), SIX.map((mirror) => mirror.name));
    for (const fs of disk.filesystems) assert.ok(fs.totalBytes > 0 && fs.freeBytes <= fs.totalBytes);

    const metrics = await readFile(metricsFile, 'utf8');
    const families = parseProm(metrics);
    gatherProm([[metricsFile, metrics]]);
    const mirrorsOf = (family: string) => new Set(families.get(family)?.samples.map((sample) => sample.labels['mirror']));
    for (const family of ['mirrorsync_last_success_timestamp_seconds', 'mirrorsync_last_run_result', 'mirrorsync_runs_total', 'mirrorsync_triggers_pending']) {
      assert.deepEqual([...mirrorsOf(family)].sort(), SIX.map((mirror) => mirror.name), family);
    }
    assert.equal(families.get('mirrorsync_runs_total')?.type, 'counter');
    for (const sample of families.get('mirrorsync_runs_total')?.samples ?? []) assert.deepEqual([sample.labels['result'], sample.value], ['synced', 1]);

    // The counters are kept across runs: a second run (all no-ops) adds to them.
    assert.equal((await runCli(['sync', '--all', '--config-dir', host.dir, '--quiet'], { timeoutMs: 120_000 })).code, 0);
    const again = parseProm(await readFile(metricsFile, 'utf8')).get('mirrorsync_runs_total')?.samples ?? [];
    for (const mirror of SIX) {
      const counted = Object.fromEntries(again.filter((sample) => sample.labels['mirror'] === mirror.name).map((sample) => [sample.labels['result'], sample.value]));
      assert.deepEqual(counted, { synced: 1, noop: 1 }, mirror.name);
    }

    // Per-mirror files of several mirrors in one textfile folder: gathered as node_exporter does, no collision.
    const folder = lab.path('per-mirror');
    await mkdir(folder);
    const files: Array<[string, string]> = [];
    for (const name of ['a1', 'b1']) {
      const file = `${folder}/${name}.prom`;
      const one = await runCli(['sync', name, '--config-dir', host.dir, '--quiet', '--metrics-file', file], { timeoutMs: 120_000 });
      assert.equal(one.code, 0, one.stderr);
      files.push([file, await readFile(file, 'utf8')]);
    }
    const gathered = gatherProm(files);
    assert.deepEqual([...new Set(gathered.get('mirrorsync_last_run_result')?.samples.map((sample) => sample.labels['mirror']))].sort(), ['a1', 'b1']);
  });
});
