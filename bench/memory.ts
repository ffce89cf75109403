import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createLab, startDaemon } from '../test/lab/index.js';
import { bareBulkArgs, cachedTree, describeBaseline, flushDisks, removeTree, timeCli, writeConfig, type CachedTree } from './fixtures.js';
import { expectSuccess, median, timeProcess } from './measure.js';
import { markdownTable, ratio, verdict, type Bench, type BenchOptions, type BenchReport } from './report.js';

// Issues 6 and 12: the CLI's own memory must not grow with the number of files (rsync writes the
// per-file log itself; node reads only progress, errors and --stats). At 1M files (--large) the
// same run is also the 1M-file transfer case: one bare rsync with the same flags beside it.

const LIMIT_MIB = 60;
const SAMPLE_MS = 50;

interface SizeResult {
  readonly tree: CachedTree;
  /** Peak RSS (VmHWM, KiB) of the mirrorsync process per initial sync. */
  readonly syncPeaks: readonly number[];
  readonly syncMs: readonly number[];
  /** Peak RSS of the no-op that follows: the CLI's own baseline. */
  readonly noopPeak: number;
  readonly logLines: number;
  /** CPU of the node process per sync (its rsync children not included). */
  readonly cpuMs: readonly number[];
  /** One bare rsync with mirrorsync's bulk-pass flags, when measured (1M files). */
  readonly bare?: { readonly ms: number; readonly args: readonly string[] };
}

export const memoryBench: Bench = {
  name: 'memory',
  title: '6. Memory of a large initial sync',
  async run(options: BenchOptions): Promise<BenchReport> {
    // The 1M case takes minutes per run: --large measures it instead of the default 200k.
    const sizes = options.large ? [1_000_000] : [200_000];
    const results: SizeResult[] = [];
    for (const files of sizes) results.push(await measureSize(files, files >= 1_000_000 ? 1 : 3, options));
    return { name: 'memory', markdown: render(results) };
  },
};

async function measureSize(files: number, reps: number, options: BenchOptions): Promise<SizeResult> {
  const tree = await cachedTree(`small-${files}`, { files }, options.log);
  const lab = await createLab();
  try {
    const daemon = await startDaemon(lab, { name: 'master', tree: tree.dir });
    const target = lab.path('mirror');
    const config = await writeConfig(lab.path('sources.json'), { target, sources: [{ name: 'master', url: daemon.url, master: true }] });
    // Planned while the target is empty: once synced, the plan is a no-op with no command in it.
    const baseline = files >= 1_000_000 ? { dir: lab.path('bare'), log: lab.path('bare-rsync.log'), args: [] as string[] } : undefined;
    if (baseline !== undefined) baseline.args = await bareBulkArgs(config, target, baseline.dir, baseline.log);
    const syncPeaks: number[] = [];
    const syncMs: number[] = [];
    const cpuMs: number[] = [];
    for (let rep = 0; rep < reps; rep += 1) {
      await removeTree(target);
      await flushDisks();
      const run = expectSuccess('mirrorsync sync', await timeCli(['sync', '--config', config], { sample: SAMPLE_MS }));
      syncPeaks.push(run.peakRssKiB ?? Number.NaN);
      syncMs.push(run.ms);
      if (run.cpuMs !== undefined) cpuMs.push(run.cpuMs);
      options.log(`memory ${files}: rep ${rep + 1}/${reps}: peak RSS ${((run.peakRssKiB ?? 0) / 1024).toFixed(1)} MiB in ${(run.ms / 1000).toFixed(1)} s`);
    }
    const logText = await readFile(join(target, '.mirrorsync', 'last-run.log'), 'utf8');
    const logLines = logText.split('\n').length - 1;
    const noop = expectSuccess('mirrorsync sync (no-op)', await timeCli(['sync', '--config', config], { sample: 5 }));
    let bare: SizeResult['bare'];
    if (baseline !== undefined) {
      // The synced mirror stays until the end: removing a million files first took minutes.
      await flushDisks();
      const timed = expectSuccess('bare rsync', await timeProcess('rsync', baseline.args));
      options.log(`memory ${files}: bare rsync with the same flags in ${(timed.ms / 1000).toFixed(1)} s`);
      bare = { ms: timed.ms, args: baseline.args };
      await removeTree(baseline.dir);
      await rm(baseline.log, { force: true });
    }
    await removeTree(target);
    return { tree, syncPeaks, syncMs, noopPeak: noop.peakRssKiB ?? Number.NaN, logLines, cpuMs, ...(bare === undefined ? {} : { bare }) };
  } finally {
    await lab.dispose();
  }
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

function render(results: readonly SizeResult[]): string {
  const table = markdownTable(
    ['files', 'reps', 'peak RSS of mirrorsync (median)', 'each rep', 'sync wall (median)', 'node CPU (per file)', 'last-run.log lines', 'peak RSS of a no-op', 'bare rsync, same flags', 'mirrorsync / bare'],
    results.map((result) => [
      result.tree.files.toLocaleString('en'),
      String(result.syncPeaks.length),
      mib(median(result.syncPeaks)),
      result.syncPeaks.map(mib).join(', '),
      `${(median(result.syncMs) / 1000).toFixed(1)} s`,
      `${(median(result.cpuMs) / 1000).toFixed(2)} s (${((median(result.cpuMs) * 1000) / result.tree.files).toFixed(1)} µs)`,
      result.logLines.toLocaleString('en'),
      mib(result.noopPeak),
      result.bare === undefined ? '–' : `${(result.bare.ms / 1000).toFixed(1)} s`,
      result.bare === undefined ? '–' : ratio(median(result.syncMs) / result.bare.ms),
    ]),
  );
  return [
    `Peak resident set (VmHWM of /proc/<pid>/status, polled every ${SAMPLE_MS} ms) of the \`node\` process running \`mirrorsync sync\` (not its rsync children) during a full initial sync of 64-byte files from a lab daemon (into an emptied, \`sync\`ed target); rsync writes the per-file log (last-run.log) itself. The no-op run after it shows the CLI's own baseline. At 1M files one bare rsync with mirrorsync's bulk-pass flags (its \`--log-file\` included) is timed after it, as the 1M-file transfer case${results.some((result) => result.bare !== undefined) ? `: \`rsync ${describeBaseline(results.find((result) => result.bare !== undefined)?.bare?.args ?? [])}\`` : ''}.`,
    '',
    table,
    '',
    ...results.map((result) => {
      const peak = Math.max(...result.syncPeaks);
      return verdict(`≤ ${LIMIT_MIB} MiB at ${result.tree.files.toLocaleString('en')} files`, peak / 1024 <= LIMIT_MIB, `highest ${mib(peak)}`);
    }),
    ...results.flatMap((result) => (result.bare === undefined ? [] : [verdict(`≤ 1.05× bare rsync, ${result.tree.files.toLocaleString('en')} files`, median(result.syncMs) / result.bare.ms <= 1.05, `${ratio(median(result.syncMs) / result.bare.ms)}, one run each`)])),
  ].join('\n');
}
