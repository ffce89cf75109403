import type { HookSettings } from '../config/types.js';
import type { Logger } from '../log.js';
import type { RunStatus } from './status-file.js';

export interface HookRun {
  readonly hooks: HookSettings;
  readonly status: RunStatus;
  readonly exitCode: number;
  readonly target: string;
  readonly name: string;
  readonly logger: Logger;
  /** A hook that runs longer is killed. */
  readonly timeoutMs?: number;
}

/**
 * Runs onSuccess (synced or noop) or onFailure (failed; not interrupted: a signal asks us to stop
 * now, not to start more work), without a shell, with the outcome in its
 * environment. A hook that fails or hangs is logged; it never changes the run's result.
 */
export async function runHooks(run: HookRun): Promise<void> {
  const succeeded = run.status.result === 'synced' || run.status.result === 'noop';
  if (run.status.result === 'interrupted' || run.status.result === 'running') return;
  const argv = succeeded ? run.hooks.onSuccess : run.hooks.onFailure;
  const [file, ...args] = argv ?? [];
  if (file === undefined) return;
  const which = succeeded ? 'onSuccess' : 'onFailure';
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    reject: false,
    stdin: 'ignore',
    timeout: run.timeoutMs ?? 60_000,
    forceKillAfterDelay: 2_000,
    maxBuffer: 64 * 1024,
    env: {
      MIRRORSYNC_RESULT: run.status.result,
      MIRRORSYNC_SOURCE: run.status.source ?? '',
      MIRRORSYNC_BYTES_RECEIVED: String(run.status.bytesReceived),
      MIRRORSYNC_FILES_TRANSFERRED: String(run.status.filesTransferred),
      MIRRORSYNC_EXIT_CODE: String(run.exitCode),
      MIRRORSYNC_ERROR_CODE: run.status.error?.code ?? '',
      MIRRORSYNC_ERROR: run.status.error?.message ?? '',
      MIRRORSYNC_TARGET: run.target,
      MIRRORSYNC_NAME: run.name,
      MIRRORSYNC_FRESHNESS: run.status.freshness ?? '',
    },
  });
  const fields = { hook: which, command: file, exitCode: result.exitCode ?? null, stderr: String(result.stderr ?? '').slice(0, 2000) };
  if (result.failed) run.logger.warn(fields, `${which} hook failed: ${result.shortMessage}`);
  else run.logger.debug(fields, `${which} hook ran`);
}
