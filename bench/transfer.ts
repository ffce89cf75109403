import { createLab, startDaemon, TRACE_PATH } from '../test/lab/index.js';
import { cachedTree, flushDisks, removeTree, timeCli, writeConfig, type CachedTree } from './fixtures.js';
import { expectSuccess, interleave, median, timeProcess } from './measure.js';
import { markdownTable, mebibytes, medianCell, ratio, verdict, type Bench, type BenchOptions, type BenchReport } from './report.js';

// Issue 6: what mirrorsync adds to a full initial sync, against one rsync with the very flags
// mirrorsync's bulk pass uses (read from `sync --dry-run --json`), into a fresh empty target.

interface Case {
  readonly key: string;
  readonly label: string;
  readonly files: number;
  readonly bytesPerFile: number;
  readonly reps: number;
}

// An initial sync of 100k small files takes about 20 s here (2 cores): enough rounds of both to
// see through other load would take half the run's budget, so the default run uses 30k files
// and --large adds 100k.
const CASES: readonly Case[] = [
  { key: 'small-30000', label: '30,000 files of 64 B', files: 30_000, bytesPerFile: 64, reps: 7 },
  { key: 'big-20x50M', label: '20 files of 50 MB', files: 20, bytesPerFile: 50_000_000, reps: 7 },
];
const LARGE_CASES: readonly Case[] = [{ key: 'small-100000', label: '100,000 files of 64 B', files: 100_000, bytesPerFile: 64, reps: 3 }];

interface CaseResult {
  readonly spec: Case;
  readonly tree: CachedTree;
  readonly samples: Map<string, number[]>;
  /** CPU time of the mirrorsync node process itself per run (its rsync children not included). */
  readonly nodeCpuMs: readonly number[];
  readonly baseline: readonly string[];
}

export const transferBench: Bench = {
  name: 'transfer',
  title: '2. Transfer overhead of a full initial sync',
  async run(options: BenchOptions): Promise<BenchReport> {
    const results: CaseResult[] = [];
    for (const spec of options.large ? [...CASES, ...LARGE_CASES] : CASES) results.push(await measureCase(spec, options));
    return { name: 'transfer', markdown: render(results) };
  },
};

async function measureCase(spec: Case, options: BenchOptions): Promise<CaseResult> {
  const tree = await cachedTree(spec.key, { files: spec.files, bytesPerFile: spec.bytesPerFile }, options.log);
  const lab = await createLab();
  try {
    const daemon = await startDaemon(lab, { name: 'master', tree: tree.dir });
    const mirror = lab.path('mirror');
    const bare = lab.path('bare');
    const config = await writeConfig(lab.path('sources.json'), { target: mirror, sources: [{ name: 'master', url: daemon.url, master: true }] });
    const baseline = await bareEquivalent(config, mirror, bare);
    const nodeCpuMs: number[] = [];
    const samples = await interleave(
      spec.reps,
      [
        {
          name: 'mirrorsync sync',
          prepare: () => emptyTarget(mirror),
          run: async () => {
            const run = expectSuccess('mirrorsync sync', await timeCli(['sync', '--config', config], { sample: 100 }));
            if (run.cpuMs !== undefined) nodeCpuMs.push(run.cpuMs);
            return run.ms;
          },
        },
        {
          name: 'bare rsync, same flags',
          prepare: () => emptyTarget(bare),
          run: async () => expectSuccess('bare rsync', await timeProcess('rsync', baseline)).ms,
        },
      ],
      (round) => options.log(`transfer ${spec.label}: round ${round}/${spec.reps}`),
    );
    await removeTree(mirror);
    await removeTree(bare);
    return { spec, tree, samples, nodeCpuMs, baseline };
  } finally {
    await lab.dispose();
  }
}

/** Removes the target and flushes dirty pages, so no run pays for the previous one's writeback. */
async function emptyTarget(dir: string): Promise<void> {
  await removeTree(dir);
  await flushDisks();
}

/**
 * mirrorsync's bulk pass as `--dry-run --json` prints it, made into the one rsync a person would
 * run: the trace is not held back for a second pass, and the target is the baseline's own.
 */
async function bareEquivalent(config: string, mirror: string, bare: string): Promise<string[]> {
  const plan = expectSuccess('mirrorsync sync --dry-run', await timeCli(['sync', '--config', config, '--dry-run', '--json'], { captureStdout: true }));
  const commands = (JSON.parse(plan.stdout) as { commands: string[][] }).commands;
  // The bulk pass is the one into the target itself (the trace is fetched into .mirrorsync/ first).
  const bulk = commands.find((argv) => argv.at(-1) === `${mirror}/`);
  if (bulk === undefined) throw new Error(`no bulk pass into ${mirror}/ in the dry-run plan: ${plan.stdout}`);
  return [...bulk.slice(1, -1).filter((arg) => arg !== `--exclude=/${TRACE_PATH}` && arg !== '--dry-run'), `${bare}/`];
}

function render(results: readonly CaseResult[]): string {
  const rows = results.map((result) => {
    const ms = median(result.samples.get('mirrorsync sync') ?? []);
    const bare = median(result.samples.get('bare rsync, same flags') ?? []);
    const fastest = Math.min(...(result.samples.get('mirrorsync sync') ?? [])) / Math.min(...(result.samples.get('bare rsync, same flags') ?? []));
    return { result, ms, bare, overhead: ms / bare, fastest };
  });
  const table = markdownTable(
    ['tree', 'size', 'reps', 'mirrorsync sync', 'bare rsync, same flags', 'mirrorsync / bare', 'difference', 'ratio of the fastest runs', 'CPU of the mirrorsync node process'],
    rows.map(({ result, ms, bare, overhead, fastest }) => [
      result.spec.label,
      mebibytes(result.tree.bytes),
      String(result.spec.reps),
      medianCell(result.samples.get('mirrorsync sync') ?? []),
      medianCell(result.samples.get('bare rsync, same flags') ?? []),
      ratio(overhead),
      `${((ms - bare) / 1000).toFixed(3)} s`,
      ratio(fastest),
      `${(median(result.nodeCpuMs) / 1000).toFixed(2)} s`,
    ]),
  );
  const baseline = results[0]?.baseline.map((arg) => (arg.startsWith('rsync://') ? 'rsync://127.0.0.1:PORT/sage/' : arg.startsWith('/') ? '<empty target>/' : arg)).join(' ') ?? '';
  return [
    'Whole-process wall time of a full initial sync into a fresh empty target (removed and `sync`ed, untimed, before each repetition), medians of interleaved repetitions (min–max). One lab `rsync --daemon` on 127.0.0.1 serves the tree. The ratio of the fastest runs is the least disturbed by other load on the machine; the goal is judged on medians. The CPU column is the node process alone (its rsync children not included), sampled from /proc.',
    `Baseline: \`rsync ${baseline}\` (mirrorsync's bulk pass from \`sync --dry-run --json\`, without holding the trace back). mirrorsync also probes, fetches the trace in a pass of its own, and writes its state files.`,
    '',
    table,
    '',
    ...rows.map(({ result, overhead }) => verdict(`≤ 1.02× bare rsync, ${result.spec.label}`, overhead <= 1.02, ratio(overhead))),
  ].join('\n');
}
