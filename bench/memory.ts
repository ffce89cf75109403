import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLab, startDaemon } from '../test/lab/index.js';
import { cachedTree, removeTree, timeCli, writeConfig, type CachedTree } from './fixtures.js';
import { expectSuccess, median } from './measure.js';
import { markdownTable, verdict, type Bench, type BenchOptions, type BenchReport } from './report.js';

// Issue 6: the CLI streams rsync's per-file output (one --out-format line per file) into
// last-run.log; its own memory must not grow with the number of files.

const LIMIT_MIB = 80;
const SAMPLE_MS = 50;

interface SizeResult {
  readonly tree: CachedTree;
  /** Peak RSS (VmHWM, KiB) of the mirrorsync process per initial sync. */
  readonly syncPeaks: readonly number[];
  readonly syncMs: readonly number[];
  /** Peak RSS of the no-op that follows: the CLI's own baseline. */
  readonly noopPeak: number;
  readonly logLines: number;
}

export const memoryBench: Bench = {
  name: 'memory',
  title: '6. Memory of a large initial sync',
  async run(options: BenchOptions): Promise<BenchReport> {
    const sizes = options.large ? [200_000, 1_000_000] : [200_000];
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
    const syncPeaks: number[] = [];
    const syncMs: number[] = [];
    for (let rep = 0; rep < reps; rep += 1) {
      await removeTree(target);
      const run = expectSuccess('mirrorsync sync', await timeCli(['sync', '--config', config], { sample: SAMPLE_MS }));
      syncPeaks.push(run.peakRssKiB ?? Number.NaN);
      syncMs.push(run.ms);
      options.log(`memory ${files}: rep ${rep + 1}/${reps}: peak RSS ${((run.peakRssKiB ?? 0) / 1024).toFixed(1)} MiB in ${(run.ms / 1000).toFixed(1)} s`);
    }
    const logText = await readFile(join(target, '.mirrorsync', 'last-run.log'), 'utf8');
    const logLines = logText.split('\n').length - 1;
    const noop = expectSuccess('mirrorsync sync (no-op)', await timeCli(['sync', '--config', config], { sample: 5 }));
    await removeTree(target);
    return { tree, syncPeaks, syncMs, noopPeak: noop.peakRssKiB ?? Number.NaN, logLines };
  } finally {
    await lab.dispose();
  }
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

function render(results: readonly SizeResult[]): string {
  const table = markdownTable(
    ['files', 'reps', 'peak RSS of mirrorsync (median)', 'each rep', 'sync wall (median)', 'last-run.log lines', 'peak RSS of a no-op'],
    results.map((result) => [
      result.tree.files.toLocaleString('en'),
      String(result.syncPeaks.length),
      mib(median(result.syncPeaks)),
      result.syncPeaks.map(mib).join(', '),
      `${(median(result.syncMs) / 1000).toFixed(1)} s`,
      result.logLines.toLocaleString('en'),
      mib(result.noopPeak),
    ]),
  );
  return [
    `Peak resident set (VmHWM of /proc/<pid>/status, polled every ${SAMPLE_MS} ms) of the \`node\` process running \`mirrorsync sync\` (not its rsync children) during a full initial sync of 64-byte files from a lab daemon; rsync's per-file \`--out-format\` lines all pass through it into last-run.log. The no-op run after it shows the CLI's own baseline.`,
    '',
    table,
    '',
    ...results.map((result) => {
      const peak = Math.max(...result.syncPeaks);
      return verdict(`≤ ${LIMIT_MIB} MB at ${result.tree.files.toLocaleString('en')} files`, peak / 1024 <= LIMIT_MIB * 1e6 / 2 ** 20, `highest ${mib(peak)} = ${((peak * 1024) / 1e6).toFixed(1)} MB`);
    }),
  ].join('\n');
}
