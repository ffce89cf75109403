import type { RunStatus } from '../report/status-file.js';
import { formatDuration } from '../util/duration.js';

/** The lines after the monitoring plugin's first line: what the last run did, for a person. */
export function renderStatusDetails(status: RunStatus, target: string): string {
  const lines = [
    `target:        ${target}`,
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
