import { connect } from 'node:net';
import { closedPort, createLab, startDaemon, startStallServer } from '../test/lab/index.js';
import { cachedTree, timeCli, writeConfig, type ConfigSource } from './fixtures.js';
import { expectSuccess, median } from './measure.js';
import { markdownTable, ratio, seconds, verdict, type Bench, type BenchOptions, type BenchReport } from './report.js';

// Issues 11 and 12 (bench/probes): hundreds of sources rank in about twice probe.timeoutMs with
// the master and the live sources usable, and the latency a probe reports is the network's, side
// by side with bare TCP connects to the same daemons.

const DEAD = 297;
const SCALE_TIMEOUT_MS = 3000;
const LATENCY_SOURCES = 20;
const REPS = 3;

interface Row {
  name: string;
  usable: boolean;
  latencyMs: number | null;
}

export const probesBench: Bench = {
  name: 'probes',
  title: '5b. Probes at scale, and latency against bare connects',
  async run(options: BenchOptions): Promise<BenchReport> {
    const tree = await cachedTree('small-100', { files: 100 }, options.log);
    const lab = await createLab();
    try {
      const live: ConfigSource[] = [];
      for (let i = 0; i < LATENCY_SOURCES; i += 1) {
        const daemon = await startDaemon(lab, { name: `live-${i}`, tree: tree.dir });
        live.push({ name: i === 0 ? 'master' : `live-${i}`, url: daemon.url, master: i === 0 });
      }
      options.log(`probes: starting ${DEAD} dead sources (stalled and closed)`);
      const dead: ConfigSource[] = [];
      for (let i = 0; i < DEAD; i += 1) {
        dead.push({ name: `dead-${i}`, url: i % 2 === 0 ? (await startStallServer(lab)).url : `rsync://127.0.0.1:${await closedPort(lab)}/${lab.module}/` });
      }
      const scale = await writeConfig(lab.path('scale.json'), { target: lab.path('mirror'), sources: [...dead.slice(0, 150), ...live.slice(0, 3), ...dead.slice(150)], probe: { timeoutMs: SCALE_TIMEOUT_MS } });
      const twenty = await writeConfig(lab.path('twenty.json'), { target: lab.path('mirror'), sources: live });
      const rank = async (config: string) => {
        const run = expectSuccess('mirrorsync sources rank', await timeCli(['sources', 'rank', '--config', config, '--json'], { captureStdout: true }));
        return { ms: run.ms, rows: (JSON.parse(run.stdout) as { sources: Row[] }).sources };
      };
      const scaleRuns = [];
      const reported: number[] = [];
      const bare: number[] = [];
      for (let round = 1; round <= REPS; round += 1) {
        options.log(`probes: round ${round}/${REPS}`);
        scaleRuns.push(await rank(scale));
        const ranked = await rank(twenty);
        reported.push(median(ranked.rows.map((row) => row.latencyMs ?? Number.NaN)));
        bare.push(median(await bareConnects(live)));
      }
      return { name: 'probes', markdown: render(scaleRuns, reported, bare) };
    } finally {
      await lab.dispose();
    }
  },
};

// Three sequential connects to each daemon, the way a probe samples, with nothing else running.
async function bareConnects(sources: readonly ConfigSource[]): Promise<number[]> {
  const medians: number[] = [];
  for (const source of sources) {
    const port = Number(new URL(source.url).port);
    const samples: number[] = [];
    for (let i = 0; i < 3; i += 1) samples.push(await connectMs(port));
    medians.push(median(samples));
  }
  return medians;
}

function connectMs(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      resolve(performance.now() - started);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

function render(scaleRuns: ReadonlyArray<{ ms: number; rows: Row[] }>, reported: readonly number[], bare: readonly number[]): string {
  const walls = scaleRuns.map((run) => run.ms);
  const wall = median(walls);
  const usableOk = scaleRuns.every((run) => ['master', 'live-1', 'live-2'].every((name) => run.rows.find((row) => row.name === name)?.usable === true));
  const latencyGap = median(reported) - median(bare);
  return [
    `Scale: master + 2 live lab daemons + ${DEAD} dead sources (every other one a listener that never answers, the rest closed ports), the master in the middle of the list, \`probe.timeoutMs\` = ${SCALE_TIMEOUT_MS}. Latency: ${LATENCY_SOURCES} live daemons ranked together (3 samples each, the default), the median of the reported latencies against the median of bare sequential TCP connects to the same ports from an idle process. Command: \`mirrorsync sources rank --json\`, whole-process wall; ${REPS} rounds.`,
    '',
    markdownTable(
      ['case', 'figure', 'goal'],
      [
        [`rank ${DEAD + 3} sources, wall (median)`, `${seconds(wall)} (${ratio(wall / SCALE_TIMEOUT_MS)} the timeout)`, '≤ 2× the probe timeout'],
        ['master and live sources usable in every round', usableOk ? 'yes' : 'NO', 'yes'],
        [`median reported latency, ${LATENCY_SOURCES} sources`, `${median(reported).toFixed(2)} ms`, 'within a few ms of bare'],
        ['median bare TCP connect, same daemons', `${median(bare).toFixed(2)} ms`, '–'],
      ],
    ),
    '',
    verdict(`${DEAD + 3} sources rank within 2× the probe timeout, master and live usable`, usableOk && wall <= 2 * SCALE_TIMEOUT_MS, ratio(wall / SCALE_TIMEOUT_MS)),
    verdict(`reported latency within 3 ms of a bare connect`, latencyGap <= 3, `${latencyGap.toFixed(2)} ms`),
  ].join('\n');
}
