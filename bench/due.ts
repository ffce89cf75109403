import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLab } from '../test/lab/index.js';
import { timeCli } from './fixtures.js';
import { expectSuccess, interleave, median, timeProcess, type Contender } from './measure.js';
import { markdownTable, medianCell, ratio, verdict, type Bench, type BenchOptions, type BenchReport } from './report.js';

// Issue 13: the host timer runs `sync --all --due` every 5 minutes, and most ticks find nothing
// due. That tick must cost little more than starting node: no probe, no rsync, few modules.

const MIRRORS = 50;
const REPS = 15;
const NAMES = ['sync --all --due, 50 mirrors, none due', 'status --all, 50 mirrors', 'node -e 0'] as const;

export const dueBench: Bench = {
  name: 'due',
  title: '7. A host tick with nothing due (sync --all --due, 50 mirrors)',
  async run(options: BenchOptions): Promise<BenchReport> {
    const lab = await createLab();
    try {
      const configDir = await writeHost(lab.path('host'));
      const due = (args: string[]) => async () => expectSuccess(`mirrorsync ${args.join(' ')}`, await timeCli([...args, '--config-dir', configDir])).ms;
      const contenders: Contender[] = [
        { name: NAMES[0], run: due(['sync', '--all', '--due', '--quiet']) },
        { name: NAMES[1], run: due(['status', '--all']) },
        { name: NAMES[2], run: async () => expectSuccess('node -e 0', await timeProcess(process.execPath, ['-e', '0'])).ms },
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

/** 50 mirrors every 6h, each with a status.json of a run that started a minute ago (so none is due). */
async function writeHost(root: string): Promise<string> {
  const configDir = join(root, 'etc');
  await mkdir(join(configDir, 'mirrors'), { recursive: true });
  await writeFile(join(configDir, 'host.json'), JSON.stringify({ stateDir: join(root, 'state') }));
  const startedAt = new Date(Date.now() - 60_000);
  for (let i = 0; i < MIRRORS; i += 1) {
    const name = `mirror-${String(i).padStart(2, '0')}`;
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
  const node = med(NAMES[2]);
  return [
    `Whole-process wall time, medians of ${REPS} interleaved repetitions (min–max), after one warm-up round. A config dir of ${MIRRORS} mirrors (\`schedule: {"every": "6h"}\`), each with a status.json of a run that started a minute before, so none is due; every source is a closed port (a tick that probed would fail). \`mirrorsync sync --all --due --quiet --config-dir DIR\` and \`mirrorsync status --all --config-dir DIR\` through bin/mirrorsync.js.`,
    '',
    markdownTable(['what', 'wall'], NAMES.map((name) => [name, medianCell(samples.get(name) ?? [])])),
    '',
    `- nothing-due tick / node -e 0: ${ratio(tick / node)}`,
    verdict('a nothing-due tick of 50 mirrors well under a second (< 0.5 s)', tick < 500, `${(tick / 1000).toFixed(3)} s`),
  ].join('\n');
}
