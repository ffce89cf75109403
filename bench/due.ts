import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { offsetMs } from '../src/schedule/due.js';
import { createLab } from '../test/lab/index.js';
import { timeCli } from './fixtures.js';
import { expectSuccess, interleave, median, timeProcess, type Contender } from './measure.js';
import { markdownTable, medianCell, ratio, verdict, type Bench, type BenchOptions, type BenchReport } from './report.js';

// Issue 13: the host timer runs `sync --all --due` every 5 minutes, and most ticks find nothing
// due. That tick must cost little more than starting node: no probe, no rsync, few modules.

const MIRRORS = 50;
const REPS = 15;
const NAMES = ['sync --all --due, 50 mirrors, none due', 'status --all, 50 mirrors', 'mirrorsync --version', 'node -e 0'] as const;

export const dueBench: Bench = {
  name: 'due',
  title: '7. A host tick with nothing due (sync --all --due, 50 mirrors)',
  async run(options: BenchOptions): Promise<BenchReport> {
    const lab = await createLab();
    try {
      const names = Array.from({ length: MIRRORS }, (_, i) => `mirror-${String(i).padStart(2, '0')}`);
      const now = quietMoment(names);
      const configDir = await writeHost(lab.path('host'), names, now);
      // The CLI's clock is set to a moment no mirror's grid time follows closely: the bench must
      // stay a nothing-due tick for all its rounds.
      const env = { MIRRORSYNC_TEST_NOW: now.toISOString() };
      const due = (args: string[]) => async () => expectSuccess(`mirrorsync ${args.join(' ')}`, await timeCli([...args, '--config-dir', configDir], { env })).ms;
      const contenders: Contender[] = [
        { name: NAMES[0], run: due(['sync', '--all', '--due', '--quiet']) },
        { name: NAMES[1], run: due(['status', '--all']) },
        { name: NAMES[2], run: async () => expectSuccess('mirrorsync --version', await timeCli(['--version'])).ms },
        { name: NAMES[3], run: async () => expectSuccess('node -e 0', await timeProcess(process.execPath, ['-e', '0'])).ms },
      ];
      options.log('due: warm-up round');
      await interleave(1, contenders);
      const samples = await interleave(REPS, contenders, (round) => options.log(`due: round ${round}/${REPS}`));
      return { name: 'due', markdown: render(samples) };
    } finally {
      await lab.dispose();
    }
  },
};

const SIX_HOURS = 6 * 3600;

/** A whole minute of today after which no mirror's 6h grid time comes for 15 minutes. */
function quietMoment(names: readonly string[]): Date {
  const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const period = SIX_HOURS * 1000;
  for (let minute = 0; minute < 360; minute += 1) {
    const at = day + minute * 60_000;
    const clear = names.every((name) => {
      const offset = offsetMs(name, SIX_HOURS);
      // The first grid time after the runs' start (a minute before `at`) must be 15 minutes away.
      const since = at - 2 * 60_000;
      const next = Math.floor((since - offset) / period) * period + offset + period;
      return next - at > 15 * 60_000;
    });
    if (clear) return new Date(at);
  }
  throw new Error('no quiet moment for these mirror names');
}

/** 50 mirrors every 6h, each with a status.json of a run that started a minute before `now` (so none is due). */
async function writeHost(root: string, names: readonly string[], now: Date): Promise<string> {
  const configDir = join(root, 'etc');
  await mkdir(join(configDir, 'mirrors'), { recursive: true });
  await writeFile(join(configDir, 'host.json'), JSON.stringify({ stateDir: join(root, 'state') }));
  const startedAt = new Date(now.getTime() - 60_000);
  for (const name of names) {
    const target = join(root, 'srv', name);
    await mkdir(join(target, '.mirrorsync'), { recursive: true });
    const status = {
      result: 'noop',
      mode: 'incremental',
      startedAt: startedAt.toISOString(),
      endedAt: new Date(startedAt.getTime() + 500).toISOString(),
      source: 'master',
      tried: [],
      bytesReceived: 0,
      filesTransferred: 0,
      freshness: null,
      lagSeconds: 0,
      lastSuccessAt: new Date(startedAt.getTime() + 500).toISOString(),
      error: null,
    };
    await writeFile(join(target, '.mirrorsync', 'status.json'), JSON.stringify(status));
    // Closed port: a tick that probed anything would show it (and fail).
    const mirror = { target, sources: [{ name: 'master', url: `rsync://127.0.0.1:9/${name}/`, master: true }], schedule: { every: '6h' } };
    await writeFile(join(configDir, 'mirrors', `${name}.json`), JSON.stringify(mirror));
  }
  return configDir;
}

function render(samples: Map<string, number[]>): string {
  const med = (name: string) => median(samples.get(name) ?? []);
  const tick = med(NAMES[0]);
  const start = med(NAMES[2]);
  const node = med(NAMES[3]);
  return [
    `Whole-process wall time, medians of ${REPS} interleaved repetitions (min–max), after one warm-up round. A config dir of ${MIRRORS} mirrors (\`schedule: {"every": "6h"}\`), each with a status.json of a run that started a minute before the CLI's clock (set with \`MIRRORSYNC_TEST_NOW\` to a moment no grid time follows within 15 minutes), so none is due; every source is a closed port (a tick that probed would fail). \`mirrorsync sync --all --due --quiet --config-dir DIR\` and \`mirrorsync status --all --config-dir DIR\` through bin/mirrorsync.js.`,
    '',
    markdownTable(['what', 'wall'], NAMES.map((name) => [name, medianCell(samples.get(name) ?? [])])),
    '',
    `- nothing-due tick / node -e 0: ${ratio(tick / node)}; the CLI's own start (\`--version\`) / node -e 0: ${ratio(start / node)}`,
    verdict('a nothing-due tick of 50 mirrors well under a second (< 0.5 s)', tick < 500, `${(tick / 1000).toFixed(3)} s`),
    verdict("the tick within 1.3× of the CLI's own start (the decision costs little beside loading the CLI)", tick / start <= 1.3, ratio(tick / start)),
  ].join('\n');
}
