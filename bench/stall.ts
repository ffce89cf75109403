import { createLab, startDaemon, type Daemon } from '../test/lab/index.js';
import { bytesOnDisk, cachedTree, removeTree, timeCli, writeConfig } from './fixtures.js';
import { median, sleep } from './measure.js';
import { markdownTable, ratio, verdict, type Bench, type BenchOptions, type BenchReport } from './report.js';

// Issue 6: a source that stops sending mid-transfer (SIGSTOP to its daemon's process group: the
// TCP connection stays open, nothing arrives). How long until the next source starts sending?

const FILES = 200;
const BYTES_PER_FILE = 256 * 1024;
const BWLIMIT_KBPS = 4_000;
const FREEZE_AT = 0.2;
const TIMEOUT_SECONDS = 5;
const REPS = 3;

interface Variant {
  readonly label: string;
  readonly retries: number;
  /** Stalled attempts before the next source: each one waits out the timeout. */
  readonly attempts: number;
}

const VARIANTS: readonly Variant[] = [
  { label: 'retries 0', retries: 0, attempts: 1 },
  // A stall is a transient failure: the source is retried, and the retry meets the same stall.
  { label: 'retries 1, retryDelaySeconds 0', retries: 1, attempts: 2 },
];

interface Rep {
  readonly detectMs: number;
  readonly wallMs: number;
  /** The run's exit code and, when it failed, its error. */
  readonly exitCode: number | null;
  readonly error: string | null;
}

export const stallBench: Bench = {
  name: 'stall',
  title: '4. Stall detection',
  async run(options: BenchOptions): Promise<BenchReport> {
    const tree = await cachedTree(`mid-${FILES}x256K`, { files: FILES, bytesPerFile: BYTES_PER_FILE }, options.log);
    const results = new Map<Variant, Rep[]>();
    const lab = await createLab();
    try {
      const alt = await startDaemon(lab, { name: 'alt', tree: tree.dir, bwlimitKBps: BWLIMIT_KBPS });
      const master = await startDaemon(lab, { name: 'master', tree: tree.dir });
      const target = lab.path('mirror');
      for (let round = 0; round < REPS; round += 1) {
        for (const variant of VARIANTS) {
          const config = await writeConfig(lab.path('sources.json'), {
            target,
            sources: [
              { name: 'master', url: master.url, master: true },
              { name: 'alt', url: alt.url },
            ],
            rsync: { timeoutSeconds: TIMEOUT_SECONDS, connectTimeoutSeconds: 2, retries: variant.retries, retryDelaySeconds: 0 },
          });
          await removeTree(target);
          const rep = await stallOnce({ config, target, alt, master, treeBytes: FILES * BYTES_PER_FILE });
          results.set(variant, [...(results.get(variant) ?? []), rep]);
          options.log(`stall ${variant.label}: round ${round + 1}/${REPS}: next source sending ${(rep.detectMs / 1000).toFixed(2)} s after the freeze`);
          alt.thaw();
          await alt.kill();
          await alt.restart();
        }
      }
    } finally {
      await lab.dispose();
    }
    return { name: 'stall', markdown: render(results) };
  },
};

async function stallOnce(input: { config: string; target: string; alt: Daemon; master: Daemon; treeBytes: number }): Promise<Rep> {
  const { alt, master } = input;
  let finished = false;
  let frozenAt = 0;
  let detectMs = Number.NaN;
  const watcher = (async () => {
    while (!finished && (await bytesOnDisk(input.target)) < input.treeBytes * FREEZE_AT) await sleep(50);
    if (finished) return;
    const logStart = (await master.log()).length;
    alt.freeze();
    frozenAt = performance.now();
    // The master's daemon logs a "send" line as each file leaves: the failover has begun.
    while (!finished) {
      if (/ send /.test((await master.log()).slice(logStart))) {
        detectMs = performance.now() - frozenAt;
        return;
      }
      await sleep(20);
    }
  })();
  const run = await timeCli(['sync', '--config', input.config, '--json'], { captureStdout: true });
  finished = true;
  await watcher;
  if (frozenAt === 0) throw new Error('the first source finished before it could be frozen: lower BWLIMIT_KBPS');
  // The run's outcome is reported, not required: what is measured is when the next source began.
  let error: string | null = null;
  try {
    error = (JSON.parse(run.stdout) as { error: { message: string } | null }).error?.message ?? null;
  } catch {
    error = run.stderrTail.trim().split('\n').at(-1) ?? `exit ${run.code}`;
  }
  if (Number.isNaN(detectMs)) throw new Error(`the next source never started sending: ${error ?? run.stderrTail}`);
  return { detectMs, wallMs: run.ms, exitCode: run.code, error };
}

function render(results: ReadonlyMap<Variant, readonly Rep[]>): string {
  const rows = [...results].map(([variant, reps]) => {
    const detect = median(reps.map((rep) => rep.detectMs));
    return { variant, reps, detect };
  });
  return [
    `Two lab daemons serve the same tree (${FILES} files × 256 KiB). The alternate, tried first in an initial sync, sends at ${BWLIMIT_KBPS} KiB/s and is frozen (SIGSTOP to its process group) once ${FREEZE_AT * 100} % of the tree is on disk. Measured: from the freeze until the master's daemon log shows its first \`send\` line (polled every 20 ms). \`rsync.timeoutSeconds\` = ${TIMEOUT_SECONDS}. Command: \`mirrorsync sync --json\`.`,
    '',
    markdownTable(
      ['config', 'reps', 'freeze → next source sending (median)', 'each rep', 'ratio to timeout', 'wall of the run (median)', 'run exit codes'],
      rows.map(({ variant, reps, detect }) => [
        variant.label,
        String(reps.length),
        `${(detect / 1000).toFixed(2)} s`,
        reps.map((rep) => (rep.detectMs / 1000).toFixed(2)).join(', '),
        ratio(detect / 1000 / TIMEOUT_SECONDS),
        `${(median(reps.map((rep) => rep.wallMs)) / 1000).toFixed(1)} s`,
        reps.map((rep) => String(rep.exitCode)).join(', '),
      ]),
    ),
    '',
    ...failures(rows.flatMap((row) => row.reps)),
    ...rows.map(({ variant, detect }) => {
      const perAttempt = detect / 1000 / variant.attempts;
      return verdict(
        `${variant.label}: each stalled attempt ≤ timeout + 1 s = ${TIMEOUT_SECONDS + 1} s`,
        perAttempt <= TIMEOUT_SECONDS + 1,
        variant.attempts === 1 ? `${perAttempt.toFixed(2)} s` : `${(detect / 1000).toFixed(2)} s for ${variant.attempts} attempts = ${perAttempt.toFixed(2)} s each`,
      );
    }),
  ].join('\n');
}

/** A run that failed after the failover says why once (the measurement itself stands). */
function failures(reps: readonly Rep[]): string[] {
  const errors = [...new Set(reps.filter((rep) => rep.exitCode !== 0).map((rep) => `exit ${rep.exitCode}: ${rep.error ?? '?'}`))];
  return errors.length === 0 ? [] : [`- ${reps.filter((rep) => rep.exitCode !== 0).length} of ${reps.length} runs failed after the failover began: ${errors.join('; ')}`];
}
