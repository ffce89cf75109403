import { interruptionOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { checkNetwork } from '../../network/check.js';
import { historyDbPath } from '../../network/db-path.js';
import { openHistory } from '../../network/store.js';
import type { Check } from '../../network/types.js';
import { loadCommandConfig } from '../command-config.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderTable } from '../table.js';

export interface NetworkCheckOptions {
  readonly config?: string;
  readonly db?: string;
  readonly json?: boolean;
}

/**
 * Probes every source once and appends the check to the history. Exits 0 when recorded, 69 when
 * the check is suspect (most sources failed: recorded, and not counted against the mirrors).
 */
export async function networkCheckCommand(options: NetworkCheckOptions, context: CliContext, logger: Logger): Promise<number> {
  const config = await loadCommandConfig({ config: options.config }, context);
  const dbPath = historyDbPath(config, options.db, context.cwd);
  const store = await openHistory(dbPath);
  try {
    const check = await checkNetwork(config, { signal: context.signal });
    if (context.signal.aborted) throw interruptionOf(context.signal);
    store.append(check);
    if (check.suspect) logger.warn({ failed: check.rows.filter((row) => !row.ok).length, of: check.rows.length }, 'most sources failed: check marked suspect (the checker\'s own network?), not counted against the mirrors');
    context.stdout.write(options.json === true ? `${JSON.stringify(checkJson(check, dbPath), null, 2)}\n` : renderCheck(check, dbPath));
    return check.suspect ? EXIT.unavailable : EXIT.ok;
  } finally {
    store.close();
  }
}

function checkJson(check: Check, db: string): unknown {
  return {
    checkedAt: check.checkedAt.toISOString(),
    suspect: check.suspect,
    db,
    sources: check.rows.map((row) => ({ ...row, freshness: row.freshness?.toISOString() ?? null })),
  };
}

function renderCheck(check: Check, db: string): string {
  const rows = check.rows.map((row) => [
    row.source,
    row.protocol,
    row.ok ? 'ok' : 'FAILED',
    row.freshness?.toISOString() ?? '-',
    `${row.durationMs} ms`,
    row.error ?? (row.own === null ? '' : row.own.result === null ? (row.own.problem ?? '') : `own last run: ${row.own.result}`),
  ]);
  const verdict = check.suspect ? 'SUSPECT: most sources failed; not counted against the mirrors' : 'recorded';
  return `${renderTable(['SOURCE', 'PROTOCOL', 'CHECK', 'FRESHNESS', 'TOOK', 'DETAIL'], rows)}${check.checkedAt.toISOString()} ${verdict} in ${db}\n`;
}
