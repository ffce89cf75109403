import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MirrorsyncError, describeError } from '../../errors.js';
import { historyDbPath } from '../../network/db-path.js';
import { renderReportPage } from '../../network/report-html.js';
import { renderStatusJson } from '../../network/report-json.js';
import { openHistory } from '../../network/store.js';
import { summarizeNetwork } from '../../network/summary.js';
import { writeFileAtomic } from '../../report/atomic-write.js';
import { loadCommandConfig } from '../command-config.js';
import type { CliContext } from '../context.js';

export interface NetworkReportOptions {
  readonly config?: string;
  readonly db?: string;
  readonly out: string;
  /** Seconds of history scored (archweb's cutoff). */
  readonly cutoff: number;
}

/** Writes OUT/index.html and OUT/status.json from the history; each replaced atomically. */
export async function networkReportCommand(options: NetworkReportOptions, context: CliContext): Promise<number> {
  const config = await loadCommandConfig({ config: options.config }, context);
  const dbPath = historyDbPath(config, options.db, context.cwd);
  const store = await openHistory(dbPath);
  let checks;
  try {
    checks = store.checks();
  } finally {
    store.close();
  }
  if (checks.length === 0) throw new MirrorsyncError('status.missing', `no check recorded in ${dbPath}: run \`mirrorsync network check\` first`);
  const summary = summarizeNetwork(checks, new Date(), options.cutoff);
  const out = resolve(context.cwd, options.out);
  try {
    await mkdir(out, { recursive: true });
    await writeFileAtomic(join(out, 'index.html'), renderReportPage(summary, config.name), 0o644);
    await writeFileAtomic(join(out, 'status.json'), renderStatusJson(summary), 0o644);
  } catch (error) {
    throw new MirrorsyncError('sync.local', `cannot write the report in ${out}: ${describeError(error)}`, { cause: error });
  }
  context.stdout.write(`${join(out, 'index.html')}\n${join(out, 'status.json')}\n`);
  return 0;
}
