import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HOUR_MS, makeTree, startDaemon, TRACE_PATH, writeTrace, type Lab } from '../test/lab/index.js';

/** How the demo runs the CLI and titles a scene (from run-demo.ts). */
export interface DemoTools {
  readonly mirrorsync: (args: readonly string[]) => Promise<number | null>;
  readonly scene: (title: string) => void;
  readonly bold: (text: string) => string;
}

// A mirror host: three projects, two of them from one upstream, in one config dir, run by the
// one timer (`sync --all --due`), watched by `status --all`, pushed by `trigger`.
export async function hostDemo(lab: Lab, { mirrorsync, scene, bold }: DemoTools): Promise<void> {
  const published = new Date(Date.now() - 2 * HOUR_MS);
  const upstreams = { 'ftp.example.org': ['debian', 'ubuntu'], 'rsync.sagemath.org': ['sage'] } as const;
  const configDir = lab.path('host', 'etc');
  await mkdir(join(configDir, 'mirrors'), { recursive: true });
  const statusFile = lab.path('host', 'www', 'tunasync.json');
  await writeFile(
    join(configDir, 'host.json'),
    JSON.stringify({ maxConcurrentJobs: 2, maxConnectionsPerUpstream: 1, statusFile, metricsFile: lab.path('host', 'textfile', 'mirrors.prom'), stateDir: lab.path('host', 'state') }, null, 2),
  );
  const schedules: Record<string, unknown> = { debian: { every: '6h' }, ubuntu: { cron: '30 */4 * * *' }, sage: { every: '1d', notBetween: ['08:00', '20:00'] } };
  for (const [upstream, names] of Object.entries(upstreams)) {
    const tree = lab.path('host', 'upstreams', upstream);
    for (const name of names) await makeTree(join(tree, name), { files: 40, bytesPerFile: 8_192, seed: name, trace: { path: TRACE_PATH, at: published } });
    const daemon = await startDaemon(lab, { name: upstream, tree });
    for (const name of names) {
      const mirror = { target: lab.path('host', 'srv', name), trace: TRACE_PATH, sources: [{ name: upstream, url: `${daemon.url}${name}/`, master: true }], schedule: schedules[name] };
      await writeFile(join(configDir, 'mirrors', `${name}.json`), JSON.stringify(mirror, null, 2));
    }
  }
  const dir = ['--config-dir', configDir];
  process.stdout.write(`\nhost config dir: ${configDir}\n${bold(`$ cat ${join(configDir, 'mirrors', 'sage.json')}`)}\n${await readFile(join(configDir, 'mirrors', 'sage.json'), 'utf8')}\n`);

  scene('10. A mirror host: three mirrors (debian and ubuntu share an upstream), all synced within the host limits');
  await mirrorsync(['sync', '--all', ...dir]);

  scene('11. The host at a glance; the exit status is the worst mirror\'s verdict');
  await mirrorsync(['status', '--all', ...dir]);

  scene('12. The timer\'s tick: nothing is due yet, so nothing runs');
  await mirrorsync(['sync', '--all', '--due', ...dir]);

  scene('13. The upstream publishes a new debian and pushes (an ssh command= line runs `mirrorsync trigger debian`); the next tick syncs debian alone');
  const debianUpstream = lab.path('host', 'upstreams', 'ftp.example.org', 'debian');
  await writeFile(join(debianUpstream, 'pool-new-package.deb'), 'a package published after the last sync\n');
  await writeTrace(debianUpstream, TRACE_PATH, new Date(Date.now() - 60_000));
  await mirrorsync(['trigger', 'debian', ...dir]);
  await mirrorsync(['sync', '--all', '--due', ...dir]);

  scene('14. What the host\'s web page reads: tunasync\'s /jobs, rewritten at every start and end');
  const jobs = JSON.parse(await readFile(statusFile, 'utf8')) as Array<Record<string, unknown>>;
  process.stdout.write(`${bold(`$ cat ${statusFile}`)} (first entry)\n${JSON.stringify(jobs[0], null, 2)}\n`);
  await mirrorsync(['status', '--all', '--format', 'mirrorz', ...dir]);

  scene('15. The one timer that runs them all');
  await mirrorsync(['schedule', '--all', '--format', 'cron', ...dir]);
}
