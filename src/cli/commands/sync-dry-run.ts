import type { Config } from '../../config/types.js';
import type { RequestedMode } from '../../sync/plan.js';
import type { CliContext } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
import { rankingJson, renderRanking } from '../render-ranking.js';
import { quoteCommand } from '../shell-quote.js';

/**
 * `sync --dry-run`: the plan and the exact rsync commands, nothing changed. It refuses what a real
 * run refuses and ends with the exit status that run would have (the refusal is thrown after the
 * plan is printed, so the operator sees both).
 */
export async function dryRunCommand(
  input: { readonly config: Config; readonly target: string; readonly mode: RequestedMode; readonly full: boolean; readonly source: string | undefined; readonly json: boolean; readonly filters?: readonly string[] },
  context: CliContext,
): Promise<number> {
  const { planDryRun } = await import('../../sync/dry-run.js');
  const plan = await planDryRun({ config: input.config, target: input.target, mode: input.mode, full: input.full, pinned: input.source, signal: context.signal, ...(input.filters === undefined ? {} : { filters: input.filters }) });
  const refusal = plan.refusal;
  if (input.json) {
    const failed = refusal === null ? {} : { result: 'failed', error: { code: refusal.code, message: refusal.message }, exitCode: exitCodeFor(refusal.code) };
    context.stdout.write(`${JSON.stringify({ dryRun: true, ...failed, noop: plan.noop, source: plan.source, maxDelete: plan.maxDelete, commands: plan.commands, traceFrom: plan.traceFrom, ...(rankingJson(plan.ranking) as object) }, null, 2)}\n`);
  } else {
    context.stdout.write(renderRanking(plan.ranking));
    if (refusal !== null) context.stdout.write(`\nrefused: ${refusal.message}\na sync would exit ${exitCodeFor(refusal.code)}\n`);
    else if (plan.noop !== null) context.stdout.write(`\nnothing to do: ${plan.noop}\n`);
    else {
      const trace = plan.traceFrom === 'probe' ? "  then the trace its probe read is put in place (no trace pass)\n" : '';
      context.stdout.write(`\nwould sync from ${plan.source ?? '?'} (max ${plan.maxDelete} deletions):\n${plan.commands.map((argv) => `  ${quoteCommand(argv)}\n`).join('')}${trace}`);
    }
  }
  if (refusal !== null) throw refusal;
  return 0;
}
