import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildRsyncdConf } from './daemon-config.js';

/** What a lab daemon's folder needs to hold before `rsync --daemon` can start on it. */
export interface DaemonFilesInput {
  tree: string;
  module: string;
  motd?: string;
  maxConnections?: number;
  auth?: { user: string; password: string };
  readOnly?: boolean;
  extraModuleLines?: string[];
}

/**
 * Writes rsyncd.conf (and the motd and secrets files it names) into dir. The pid, lock and log
 * files live there too, so nothing touches /var/run or /etc.
 */
export async function writeDaemonFiles(dir: string, input: DaemonFilesInput): Promise<void> {
  const motdFile = input.motd === undefined ? undefined : join(dir, 'motd');
  if (motdFile !== undefined) await writeFile(motdFile, input.motd ?? '');
  const secretsFile = join(dir, 'secrets');
  if (input.auth !== undefined) {
    await writeFile(secretsFile, `${input.auth.user}:${input.auth.password}\n`, { mode: 0o600 });
    // rsync rejects a secrets file others can read; writeFile's mode only applies to a new file.
    await chmod(secretsFile, 0o600);
  }
  const conf = buildRsyncdConf({
    pidFile: join(dir, 'rsyncd.pid'),
    lockFile: join(dir, 'rsyncd.lock'),
    logFile: join(dir, 'rsyncd.log'),
    module: input.module,
    tree: input.tree,
    readOnly: input.readOnly ?? true,
    asRoot: process.getuid?.() === 0,
    ...(motdFile === undefined ? {} : { motdFile }),
    ...(input.maxConnections === undefined ? {} : { maxConnections: input.maxConnections }),
    ...(input.auth === undefined ? {} : { auth: { user: input.auth.user, secretsFile } }),
    ...(input.extraModuleLines === undefined ? {} : { extraModuleLines: input.extraModuleLines }),
  });
  await writeFile(join(dir, 'rsyncd.conf'), conf);
}
