import { dirname } from 'node:path';
import { RSYNC_DEFAULTS } from '../../config/defaults.js';
import { MirrorsyncError } from '../../errors.js';
import { loadHost, resolveConfigDir } from '../../host/load.js';
import { isBroken } from '../../host/types.js';
import { renderHostCron, renderHostSystemd, type HostSchedule } from '../../ops/schedule-host.js';
import type { CliContext } from '../context.js';
import { resolve } from 'node:path';

export interface ScheduleAllOptions {
  readonly configDir?: string;
  readonly format: 'cron' | 'systemd' | 'kubernetes';
}

/** Prints the host's one crontab line or systemd timer: `sync --all --due` every 5 minutes. */
export async function scheduleAllCommand(options: ScheduleAllOptions, context: CliContext): Promise<number> {
  if (options.format === 'kubernetes') throw new MirrorsyncError('usage.invalid', 'schedule --all prints --format cron or systemd (a host timer); a Kubernetes CronJob schedules one mirror: use schedule --config FILE');
  const configDir = resolveConfigDir({ ...(options.configDir === undefined ? {} : { dir: options.configDir }), env: context.env, cwd: context.cwd });
  const { host, mirrors } = await loadHost(configDir);
  const valid = mirrors.flatMap((entry) => (isBroken(entry) ? [] : [entry]));
  const writable = new Set<string>([host.stateDir]);
  for (const mirror of valid) if (mirror.config.target !== undefined) writable.add(mirror.config.target);
  for (const file of [host.statusFile, host.metricsFile]) if (file !== undefined) writable.add(dirname(file));
  const input: HostSchedule = {
    node: process.execPath,
    cli: resolve(context.cwd, context.entryScript),
    configDir,
    writable: [...writable].sort(),
    maxDurationSeconds: Math.max(RSYNC_DEFAULTS.maxDurationSeconds, ...valid.map((mirror) => mirror.config.rsync.maxDurationSeconds)),
  };
  context.stdout.write(options.format === 'cron' ? renderHostCron(input) : renderHostSystemd(input));
  return 0;
}
