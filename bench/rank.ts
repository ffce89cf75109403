import { createLab, startDaemon, startStallServer } from '../test/lab/index.js';
import { cachedTree, timeCli, writeConfig, type ConfigSource } from './fixtures.js';
import { expectSuccess, interleave, median } from './measure.js';
import { markdownTable, medianCell, ratio, verdict, type Bench, type BenchOptions, type BenchReport } from './report.js';

// Issue 3 (bench/rank): ranking a large network where some sources hang. Probes run
// concurrently, each bounded by probe.timeoutMs, so the whole should take about one timeout.

const LIVE = 40;
const STALLED = 10;
const PROBE_TIMEOUT_MS = 2000;
const REPS = 5;

export const rankBench: Bench = {
  name: 'rank',
  title: '5. Rank at scale',
  async run(options: BenchOptions): Promise<BenchReport> {
    const tree = await cachedTree('small-100', { files: 100 }, options.log);
    const lab = await createLab();
    try {
      options.log(`rank: starting ${LIVE} daemons and ${STALLED} silent listeners`);
      const live: ConfigSource[] = [];
      for (let i = 0; i < LIVE; i += 1) {
        const daemon = await startDaemon(lab, { name: `live-${i}`, tree: tree.dir });
        live.push({ name: `live-${i}`, url: daemon.url, master: i === 0 });
      }
      const stalled: ConfigSource[] = [];
      for (let i = 0; i < STALLED; i += 1) stalled.push({ name: `stall-${i}`, url: (await startStallServer(lab)).url });
      const probe = { timeoutMs: PROBE_TIMEOUT_MS };
      const all = await writeConfig(lab.path('all.json'), { target: lab.path('mirror'), sources: [...live, ...stalled], probe });
      const liveOnly = await writeConfig(lab.path('live.json'), { target: lab.path('mirror'), sources: live, probe });
      const rank = async (config: string) => {
        const run = expectSuccess('mirrorsync sources rank', await timeCli(['sources', 'rank', '--config', config, '--json'], { captureStdout: true }));
        const ranked = JSON.parse(run.stdout) as { sources: { usable: boolean; reachable: boolean }[] };
        if (ranked.sources.length === 0) throw new Error('rank printed no sources');
        return run.ms;
      };
      const samples = await interleave(
        REPS,
        [
          { name: `${LIVE} live + ${STALLED} stalled`, run: () => rank(all) },
          { name: `${LIVE} live only`, run: () => rank(liveOnly) },
        ],
        (round) => options.log(`rank: round ${round}/${REPS}`),
      );
      return { name: 'rank', markdown: render(samples) };
    } finally {
      await lab.dispose();
    }
  },
};

function render(samples: ReadonlyMap<string, readonly number[]>): string {
  const rows = [...samples].map(([name, values]) => ({ name, values, ratioToTimeout: median(values) / PROBE_TIMEOUT_MS }));
  const withStalls = rows[0];
  return [
    `${LIVE} lab rsync daemons (one is the master) and ${STALLED} listeners that accept and never answer, all on 127.0.0.1; \`probe.timeoutMs\` = ${PROBE_TIMEOUT_MS}, 3 latency samples per source (the default). Command: \`mirrorsync sources rank --json\`, whole-process wall, medians of interleaved repetitions (min–max).`,
    '',
    markdownTable(
      ['network', 'reps', 'wall', 'wall / probe timeout'],
      rows.map((row) => [row.name, String(row.values.length), medianCell(row.values), ratio(row.ratioToTimeout)]),
    ),
    '',
    withStalls === undefined ? '' : verdict(`${withStalls.name}: ≤ 1.2× the probe timeout`, withStalls.ratioToTimeout <= 1.2, ratio(withStalls.ratioToTimeout)),
  ].join('\n');
}
