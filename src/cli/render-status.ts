import type { RunStatus } from '../report/status-file.js';
import { formatDuration } from '../util/duration.js';
import { isProcessAlive } from '../util/process-alive.js';

export interface StatusVerdict {
  readonly healthy: boolean;
  /** Why not, for humans; null when healthy. */
  readonly problem: string | null;
}

/**
 * Healthy means the last run synced or found nothing to do, within maxAge. A run still in
 * progress is judged by the last success before it, unless its process is gone.
 */
export function judgeStatus(status: RunStatus, maxAgeSeconds: number, now: Date, isAlive: (pid: number) => boolean = isProcessAlive): StatusVerdict {
  const age = (iso: string | null) => (iso === null ? Number.POSITIVE_INFINITY : (now.getTime() - Date.parse(iso)) / 1000);
  const tooOld = (iso: string | null, what: string): StatusVerdict =>
    age(iso) <= maxAgeSeconds
      ? { healthy: true, problem: null }
      : { healthy: false, problem: iso === null ? `${what}: never succeeded` : `${what}: last success ${formatDuration(age(iso))} ago, more than ${formatDuration(maxAgeSeconds)}` };
  switch (status.result) {
    case 'synced':
    case 'noop':
      return tooOld(status.endedAt, 'stale');
    case 'running':
      if (status.pid !== undefined && !isAlive(status.pid)) return { healthy: false, problem: `the run started at ${status.startedAt} (PID ${status.pid}) died without finishing` };
      return tooOld(status.lastSuccessAt, 'running, and stale');
    case 'failed':
    case 'interrupted':
      return { healthy: false, problem: `last run ${status.result}: ${status.error?.message ?? 'no reason recorded'}` };
  }
}

export function renderStatus(status: RunStatus, verdict: StatusVerdict, target: string): string {
  const lines = [
    `${verdict.healthy ? 'OK' : 'PROBLEM'}: ${target}${verdict.problem === null ? '' : ` — ${verdict.problem}`}`,
    `last run:      ${status.result} (${status.mode}), started ${status.startedAt}${status.endedAt === null ? '' : `, ended ${status.endedAt}`}`,
    `source:        ${status.source ?? '-'}`,
    `received:      ${status.bytesReceived} bytes, ${status.filesTransferred} files`,
    `freshness:     ${status.freshness ?? 'unknown'}${status.lagSeconds === null ? '' : ` (${formatDuration(status.lagSeconds)} behind the newest source)`}`,
    `last success:  ${status.lastSuccessAt ?? 'never'}`,
  ];
  if (status.error !== null) lines.push(`error:         ${status.error.code}: ${status.error.message}`);
  if (status.previousRunDied) lines.push(`note:          the run started at ${status.previousRunDied.startedAt} died without finishing`);
  for (const [index, tried] of status.tried.entries()) {
    lines.push(`${index === 0 ? 'tried:' : ''}`.padEnd(15) + `${tried.name}: ${tried.error === null ? 'ok' : tried.error}${tried.exitCode === null ? '' : ` (exit ${tried.exitCode})`}`);
  }
  return `${lines.join('\n')}\n`;
}
