import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MirrorSpec {
  readonly name: string;
  readonly url?: string;
  readonly schedule?: Record<string, unknown>;
  readonly extra?: Record<string, unknown>;
}

export interface HostDir {
  readonly root: string;
  readonly configDir: string;
  readonly stateDir: string;
  readonly statusFile: string;
  readonly metricsFile: string;
  target(name: string): string;
}

/** A config dir under `root`: host.json (status and metrics files, state dir inside root) and one file a mirror. */
export async function writeHostDir(root: string, mirrors: readonly MirrorSpec[], host: Record<string, unknown> = {}): Promise<HostDir> {
  const configDir = join(root, 'etc');
  const dir: HostDir = {
    root,
    configDir,
    stateDir: join(root, 'state'),
    statusFile: join(root, 'www', 'tunasync.json'),
    metricsFile: join(root, 'textfile', 'mirrors.prom'),
    target: (name) => join(root, 'srv', name),
  };
  await mkdir(join(configDir, 'mirrors'), { recursive: true });
  await mkdir(join(root, 'www'), { recursive: true });
  await mkdir(join(root, 'textfile'), { recursive: true });
  await writeFile(join(configDir, 'host.json'), JSON.stringify({ statusFile: dir.statusFile, metricsFile: dir.metricsFile, stateDir: dir.stateDir, ...host }, null, 2));
  for (const mirror of mirrors) {
    const document = {
      target: dir.target(mirror.name),
      sources: [{ name: 'master', url: mirror.url ?? `rsync://127.0.0.1:9/${mirror.name}/`, master: true }],
      ...(mirror.schedule === undefined ? {} : { schedule: mirror.schedule }),
      ...mirror.extra,
    };
    await writeFile(join(configDir, 'mirrors', `${mirror.name}.json`), JSON.stringify(document, null, 2));
  }
  return dir;
}
