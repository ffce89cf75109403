import { loadCommandConfig } from '../command-config.js';
import { interruptionOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { readHistory, summarizeHistory } from '../../report/history.js';
import { probeAll } from '../../sources/probe-all.js';
import { rankSources } from '../../sources/rank.js';
import { readLocalState } from '../../sync/assess.js';
import { resolveMode, type RequestedMode } from '../../sync/plan.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { rankingJson, renderRanking } from '../render-ranking.js';

export interface SourcesRankOptions {
  readonly config?: string;
  readonly target?: string;
  readonly mode: RequestedMode;
  readonly json?: boolean;
}

export async function sourcesRankCommand(options: SourcesRankOptions, context: CliContext, logger: Logger): Promise<number> {
  const config = await loadCommandConfig(options, context);
  const now = new Date();
  const [state, history, probes] = await Promise.all([
    config.target === undefined ? Promise.resolve(undefined) : readLocalState(config, config.target, options.mode),
    config.target === undefined ? Promise.resolve(null) : readHistory(config.target),
    probeAll(config, { signal: context.signal, now }),
  ]);
  if (context.signal.aborted) throw interruptionOf(context.signal);
  for (const probe of probes) logger.debug({ probe }, 'probed');
  const ranking = rankSources({
    config,
    probes,
    local: { freshness: state?.local.freshness ?? null },
    // Without a target there is no local copy: a bootstrap, unless the command line says otherwise.
    mode: state?.mode ?? resolveMode(options.mode, true),
    ...(history === null ? {} : { history: summarizeHistory(history, now) }),
  });
  context.stdout.write(options.json === true ? `${JSON.stringify(rankingJson(ranking), null, 2)}\n` : renderRanking(ranking));
  return ranking.sources.some((row) => row.usable) || ranking.upToDate ? EXIT.ok : EXIT.unavailable;
}
