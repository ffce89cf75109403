import { createLab, startDaemon, type Daemon } from '../test/lab/index.js';
import { bytesOnDisk, cachedTree, removeTree, timeCli, writeConfig } from './fixtures.js';
import { expectSuccess, median, sleep } from './measure.js';
import { markdownTable, mebibytes, ratio, verdict, type Bench, type BenchOptions, type BenchReport } from './report.js';

// Issue 6: a source that dies half-way through an initial sync. What it sent must not be fetched
// again from the next source: the partial dir keeps it, and rsync uses it as the basis.

const FILES = 200;
const BYTES_PER_FILE = 256 * 1024;
const BWLIMIT_KBPS = 8_000;
const KILL_AT = 0.5;
const REPS = 3;

interface Rep {
  readonly treeBytes: number;
  readonly onDiskAtKill: number;
  readonly killedAtMs: number;
  readonly wallMs: number;
  readonly jsonTotal: number;
  readonly jsonTried: readonly { name: string; bytesReceived: number | undefined; error: string | null }[];
  /** What the second source's daemon logged as sent ("sent N bytes"), probes included. */
  readonly secondSent: number;
}

export const failoverBench: Bench = {
  name: 'failover',
  title: '3. Failover waste',
  async run(options: BenchOptions): Promise<BenchReport> {
    const tree = await cachedTree(`mid-${FILES}x256K`, { files: FILES, bytesPerFile: BYTES_PER_FILE }, options.log);
    const lab = await createLab();
    try {
      const alt = await startDaemon(lab, { name: 'alt', tree: tree.dir, bwlimitKBps: BWLIMIT_KBPS });
      const master = await startDaemon(lab, { name: 'master', tree: tree.dir });
      const target = lab.path('mirror');
      const config = await writeConfig(lab.path('sources.json'), {
        target,
        // An initial sync keeps the master for last: the throttled alternate goes first.
        sources: [
          { name: 'master', url: master.url, master: true },
          { name: 'alt', url: alt.url },
        ],
        rsync: { timeoutSeconds: 5, connectTimeoutSeconds: 2, retries: 1, retryDelaySeconds: 0 },
      });
      const treeBytes = FILES * BYTES_PER_FILE;
      const reps: Rep[] = [];
      for (let i = 0; i < REPS; i += 1) {
        await removeTree(target);
        if (!alt.running) await alt.restart();
        reps.push(await failOnce({ config, target, alt, master, treeBytes }));
        options.log(`failover: round ${i + 1}/${REPS}: ${ratio((reps.at(-1)?.jsonTotal ?? 0) / treeBytes)} of the tree received`);
      }
      return { name: 'failover', markdown: render(reps) };
    } finally {
      await lab.dispose();
    }
  },
};

async function failOnce(input: { config: string; target: string; alt: Daemon; master: Daemon; treeBytes: number }): Promise<Rep> {
  const { target, alt, master, treeBytes } = input;
  const masterLogBefore = (await master.log()).length;
  const started = performance.now();
  let finished = false;
  let onDiskAtKill = 0;
  let killedAtMs = 0;
  const watcher = (async () => {
    while (!finished) {
      const bytes = await bytesOnDisk(target);
      if (bytes >= treeBytes * KILL_AT) {
        await alt.kill();
        killedAtMs = performance.now() - started;
        onDiskAtKill = await bytesOnDisk(target);
        return;
      }
      await sleep(50);
    }
  })();
  const run = await timeCli(['sync', '--config', input.config, '--json'], { captureStdout: true });
  finished = true;
  await watcher;
  expectSuccess('mirrorsync sync (failover)', run);
  if (killedAtMs === 0) throw new Error('the first source finished before it could be killed: lower BWLIMIT_KBPS');
  const status = JSON.parse(run.stdout) as { bytesReceived: number; source: string; tried: { name: string; bytesReceived?: number; error: string | null }[] };
  if (status.source !== 'master') throw new Error(`expected the sync to end on master, got ${status.source}`);
  const masterLog = (await master.log()).slice(masterLogBefore);
  const secondSent = [...masterLog.matchAll(/ sent (\d+) bytes/g)].reduce((sum, match) => sum + Number(match[1]), 0);
  const triedTotal = status.tried.reduce((sum, entry) => sum + (entry.bytesReceived ?? 0), 0);
  return {
    treeBytes,
    onDiskAtKill,
    killedAtMs,
    wallMs: run.ms,
    jsonTotal: Math.max(triedTotal, status.bytesReceived),
    jsonTried: status.tried.map((entry) => ({ name: entry.name, bytesReceived: entry.bytesReceived, error: entry.error })),
    secondSent,
  };
}

function render(reps: readonly Rep[]): string {
  const rows = reps.map((rep, i) => {
    const perSource = rep.jsonTried.map((entry) => `${entry.name} ${entry.bytesReceived === undefined ? '?' : mebibytes(entry.bytesReceived)}${entry.error === null ? '' : ' (failed)'}`).join(', ');
    const independent = rep.onDiskAtKill + rep.secondSent;
    return [
      String(i + 1),
      `${(rep.killedAtMs / 1000).toFixed(1)} s, ${mebibytes(rep.onDiskAtKill)} on disk`,
      perSource,
      `${mebibytes(rep.jsonTotal)} = ${ratio(rep.jsonTotal / rep.treeBytes)}`,
      `${mebibytes(independent)} = ${ratio(independent / rep.treeBytes)}`,
      `${(rep.wallMs / 1000).toFixed(1)} s`,
    ];
  });
  const jsonWaste = median(reps.map((rep) => rep.jsonTotal / rep.treeBytes));
  const independentWaste = median(reps.map((rep) => (rep.onDiskAtKill + rep.secondSent) / rep.treeBytes));
  const killedReported = median(reps.map((rep) => rep.jsonTried.find((entry) => entry.error !== null)?.bytesReceived ?? 0));
  const killedOnDisk = median(reps.map((rep) => rep.onDiskAtKill));
  return [
    `Two lab daemons serve the same tree (${FILES} files × 256 KiB = ${mebibytes(FILES * BYTES_PER_FILE)}). The alternate, tried first in an initial sync, sends at ${BWLIMIT_KBPS} KiB/s and is killed (SIGKILL to its process group) once ${KILL_AT * 100} % of the tree is on disk in the target, partial dirs included; mirrorsync fails over to the master. Command: \`mirrorsync sync --json\` (rsync timeout 5 s, 1 retry).`,
    'Received per source is `status.tried[].bytesReceived`. The cross-check adds what was on disk right after the kill (a lower bound of what the killed source sent) and what the master\'s daemon logged as sent (`sent N bytes`, its probes included): it does not rely on mirrorsync\'s accounting.',
    '',
    markdownTable(['rep', 'killed at', 'received per source (--json)', 'total (--json) / tree', 'on disk at kill + master sent / tree', 'wall'], rows),
    '',
    verdict('total received ≤ 1.05× the tree (cross-check)', independentWaste <= 1.05, `median ${ratio(independentWaste)}`),
    ...(killedReported < killedOnDisk / 2
      ? [`- accounting: \`status.tried[]\` reports ${mebibytes(killedReported)} for the killed source although ${mebibytes(killedOnDisk)} of what it sent was on disk, so the --json total (${ratio(jsonWaste)} of the tree) undercounts what crossed the network.`]
      : [`- --json total: ${ratio(jsonWaste)} of the tree.`]),
  ].join('\n');
}
