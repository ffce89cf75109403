import { MirrorsyncError } from '../errors.js';

export interface HostFlags {
  readonly config?: string | undefined;
  readonly target?: string | undefined;
  readonly all?: boolean | undefined;
  readonly source?: string | undefined;
  readonly dryRun?: boolean | undefined;
  readonly metricsFile?: string | undefined;
  readonly maxDeleteFraction?: number | undefined;
}

// A host's mirror is its file under the config dir: --config and --target would name another one.
export function checkHostFlags(options: HostFlags, what: string): void {
  const wrong = [options.config === undefined ? '' : '--config', options.target === undefined ? '' : '--target'].filter((flag) => flag !== '');
  if (wrong.length > 0) throw new MirrorsyncError('usage.invalid', `${wrong.join(' and ')} cannot go with ${what}: the mirror comes from the config dir (--config-dir)`);
  if (options.all === true) {
    const single = [options.source === undefined ? '' : '--source', options.dryRun === true ? '--dry-run' : '', options.metricsFile === undefined ? '' : '--metrics-file', options.maxDeleteFraction === undefined ? '' : '--max-delete-fraction'].filter((flag) => flag !== '');
    if (single.length > 0) throw new MirrorsyncError('usage.invalid', `${single.join(', ')} cannot go with --all: use sync NAME for one mirror`);
  }
}
