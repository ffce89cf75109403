import { rm } from 'node:fs/promises';
import { closedPort, createLab, startDaemon, startStallServer, TRACE_PATH, type Lab } from '../test/lab/index.js';
import { cachedTree, copyTree, timeCli, writeConfig, type CachedTree } from './fixtures.js';
import { expectSuccess, interleave, median, timeProcess, type Contender } from './measure.js';
import { markdownTable, medianCell, ratio, seconds, verdict, type Bench, type BenchOptions, type BenchReport } from './report.js';

// Issue 6: a scheduled run that finds nothing new, against a mirror that already equals the
// source, by tree size; with the baselines a mirror operator would otherwise run from cron.

// A no-op is ~0.2 s, and the rsync that reads the trace (in mirrorsync and in the floor alike) ends
// in steps of 20 ms (its wait loops sleep 20 ms at a time): with 9 rounds a median moved by a whole
// step between runs of the same code, a 0.12x swing of the ratio to the floor. 21 rounds cost
// about a minute more at 100k files; the 1M case stays at 7 (each round runs two bare rsyncs of 7
// and 15 s).
const REPS = 21;
const REPS_LARGE = 7;

interface SizeResult {
  readonly tree: CachedTree;
  readonly reps: number;
  readonly samples: Map<string, number[]>;
  readonly floorParts: { node: number[]; trace: number[] };
}

const NAMES = ['mirrorsync', 'mirrorsync, 5 dead sources', 'bare rsync', 'SageMath rsync (--checksum)', 'floor', 'node -e 0'] as const;

export const noopBench: Bench = {
  name: 'noop',
  title: '1. No-op cost vs tree size',
  async run(options: BenchOptions): Promise<BenchReport> {
    const sizes = options.large ? [10_000, 100_000, 1_000_000] : [10_000, 100_000];
    const results: SizeResult[] = [];
    for (const files of sizes) results.push(await measureSize(files, options));
    return { name: 'noop', markdown: render(results) };
  },
};

async function measureSize(files: number, options: BenchOptions): Promise<SizeResult> {
  const tree = await cachedTree(`small-${files}`, { files }, options.log);
  const lab = await createLab();
  try {
    const daemon = await startDaemon(lab, { name: 'master', tree: tree.dir });
    const mirror = lab.path('mirror');
    const bare = lab.path('bare');
    options.log(`noop ${files}: copying the tree twice (the mirror, and the bare rsync's target)`);
    await copyTree(tree.dir, mirror);
    await copyTree(tree.dir, bare);
    // Product defaults for probes (5 s timeout, 3 latency samples): what a real config gets.
    const live = await writeConfig(lab.path('live.json'), { target: mirror, sources: [{ name: 'master', url: daemon.url, master: true }] });
    const dead = await writeConfig(lab.path('dead.json'), { target: mirror, sources: [{ name: 'master', url: daemon.url, master: true }, ...(await deadSources(lab))] });
    const traceCopy = lab.path('trace-copy');
    const floorParts = { node: [] as number[], trace: [] as number[] };
    const sync = async (config: string) => expectSuccess('mirrorsync sync', await timeCli(['sync', '--config', config, '--quiet'])).ms;
    const rsync = async (args: string[]) => expectSuccess(`rsync ${args.join(' ')}`, await timeProcess('rsync', args)).ms;
    const nodeZero = async () => expectSuccess('node -e 0', await timeProcess(process.execPath, ['-e', '0'])).ms;
    const readTrace = async () => {
      await rm(traceCopy, { force: true }); // rsync would otherwise skip an identical copy
      return rsync(['--no-motd', `${daemon.url}${TRACE_PATH}`, traceCopy]);
    };
    const contenders: Contender[] = [
      { name: 'mirrorsync', run: () => sync(live) },
      { name: 'mirrorsync, 5 dead sources', run: () => sync(dead) },
      { name: 'bare rsync', run: () => rsync(['-a', '--delete-after', daemon.url, `${bare}/`]) },
      { name: 'SageMath rsync (--checksum)', run: () => rsync(['-av', '--checksum', '--delete-after', daemon.url, `${bare}/`]) },
      {
        name: 'floor',
        run: async () => {
          const node = await nodeZero();
          const trace = await readTrace();
          floorParts.node.push(node);
          floorParts.trace.push(trace);
          return node + trace;
        },
      },
      { name: 'node -e 0', run: nodeZero },
    ];
    options.log(`noop ${files}: warm-up round`);
    await interleave(1, contenders);
    floorParts.node.length = 0;
    floorParts.trace.length = 0;
    const reps = files >= 1_000_000 ? REPS_LARGE : REPS;
    const samples = await interleave(reps, contenders, (round) => options.log(`noop ${files}: round ${round}/${reps}`));
    return { tree, reps, samples, floorParts };
  } finally {
    await lab.dispose();
  }
}

/** Five sources that never answer: three accept and stay silent, two refuse the connection. */
async function deadSources(lab: Lab): Promise<{ name: string; url: string }[]> {
  const dead: { name: string; url: string }[] = [];
  for (let i = 1; i <= 3; i += 1) dead.push({ name: `stall-${i}`, url: (await startStallServer(lab)).url });
  for (let i = 1; i <= 2; i += 1) dead.push({ name: `closed-${i}`, url: `rsync://127.0.0.1:${await closedPort(lab)}/${lab.module}/` });
  return dead;
}

function render(results: readonly SizeResult[]): string {
  const med = (result: SizeResult, name: string) => median(result.samples.get(name) ?? []);
  const mediansTable = markdownTable(
    ['files', 'reps', ...NAMES.map((name) => `${name}`), 'floor = node + trace read'],
    results.map((result) => [
      result.tree.files.toLocaleString('en'),
      String(result.reps),
      ...NAMES.map((name) => medianCell(result.samples.get(name) ?? [])),
      `${seconds(median(result.floorParts.node))} + ${seconds(median(result.floorParts.trace))}`,
    ]),
  );
  const ratiosTable = markdownTable(
    ['files', 'bare / mirrorsync', 'checksum / mirrorsync', 'mirrorsync / floor', '5 dead / floor', 'bare / floor (the best ratio to bare any tool could reach)'],
    results.map((result) => {
      const ms = med(result, 'mirrorsync');
      const floor = med(result, 'floor');
      return [
        result.tree.files.toLocaleString('en'),
        ratio(med(result, 'bare rsync') / ms),
        ratio(med(result, 'SageMath rsync (--checksum)') / ms),
        ratio(ms / floor),
        ratio(med(result, 'mirrorsync, 5 dead sources') / floor),
        ratio(med(result, 'bare rsync') / floor),
      ];
    }),
  );
  const goals: string[] = [];
  const first = results[0];
  const last = results[results.length - 1];
  if (first !== undefined && last !== undefined && first !== last) {
    const growth = med(last, 'mirrorsync') / med(first, 'mirrorsync');
    goals.push(verdict(`mirrorsync flat in tree size (${last.tree.files.toLocaleString('en')} vs ${first.tree.files.toLocaleString('en')} files within 1.10×)`, growth <= 1.1, `${ratio(growth)}`));
  }
  for (const [files, wanted] of [
    [100_000, 10],
    [1_000_000, 100],
  ] as const) {
    const result = results.find((entry) => entry.tree.files === files);
    if (result === undefined) continue;
    const speedup = med(result, 'bare rsync') / med(result, 'mirrorsync');
    const bound = med(result, 'bare rsync') / med(result, 'floor');
    goals.push(verdict(`≥${wanted}× faster than bare rsync at ${files.toLocaleString('en')} files`, speedup >= wanted, `${ratio(speedup)}; the floor allows at most ${ratio(bound)}`));
  }
  for (const result of results) {
    const files = result.tree.files.toLocaleString('en');
    const toFloor = med(result, 'mirrorsync') / med(result, 'floor');
    const deadToFloor = med(result, 'mirrorsync, 5 dead sources') / med(result, 'floor');
    goals.push(verdict(`within 1.3× of the floor at ${files} files`, toFloor <= 1.3, ratio(toFloor)));
    goals.push(verdict(`with 5 dead sources, within 1.3× of the floor at ${files} files`, deadToFloor <= 1.3, ratio(deadToFloor)));
  }
  const trees = results
    .map((result) => `${result.tree.files.toLocaleString('en')} files: ${result.tree.reused ? 'reused, made' : 'made'} in ${result.tree.createdSeconds} s`)
    .join('; ');
  return [
    'Whole-process wall time, medians of interleaved repetitions (min–max), after one warm-up round. The mirror already equals the source (a `cp -a` of the tree); a lab `rsync --daemon` on 127.0.0.1 serves it; probe settings are the product defaults.',
    '`mirrorsync sync --quiet`; bare `rsync -a --delete-after rsync://…/sage/ <copy>/`; SageMath\'s `rsync -av --checksum --delete-after …`; floor = `node -e 0` plus `rsync --no-motd rsync://…/sage/zzz/timestamp.html <file>`, measured as separate processes and summed per round; 5 dead sources = 3 silent listeners and 2 closed ports besides the live master.',
    '',
    mediansTable,
    '',
    ratiosTable,
    '',
    ...goals,
    `- trees (64-byte files, cached under /tmp/mirrorsync-bench): ${trees}`,
  ].join('\n');
}
