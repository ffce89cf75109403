import { loadHost, resolveConfigDir } from '../../host/load.js';
import { isBroken, type HostMirror } from '../../host/types.js';
import { viewMirrors, type MirrorView } from '../../publish/gather.js';
import { mirrorzEntry, tunasyncJob } from '../../publish/jobs.js';
import { judgeStatus, unknownVerdict, worstState, type Thresholds, type Verdict } from '../../report/verdict.js';
import { formatDuration } from '../../util/duration.js';
import { isProcessAlive } from '../../util/process-alive.js';
import { cliClock } from '../clock.js';
import type { CliContext } from '../context.js';
import { exitCodeForVerdict } from '../exit-codes.js';
import { renderTable } from '../table.js';
import { thresholdsFrom } from './status.js';

export interface StatusAllOptions {
  readonly configDir?: string;
  readonly json?: boolean;
  readonly format?: 'tunasync' | 'mirrorz';
  readonly warning: number;
  readonly critical?: number;
  readonly maxAge?: number;
}

/**
 * Every mirror of the host: a table (or tunasync's `/jobs` array, or mirrorz entries); the exit
 * status is the worst of the mirrors' monitoring verdicts. A mirror whose file is invalid is
 * UNKNOWN in the table and left out of the published formats (they have no way to say why).
 */
export async function statusAllCommand(options: StatusAllOptions, context: CliContext): Promise<number> {
  const now = cliClock(context.env)();
  const thresholds = thresholdsFrom(options);
  const { mirrors } = await loadHost(resolveConfigDir({ ...(options.configDir === undefined ? {} : { dir: options.configDir }), env: context.env, cwd: context.cwd }));
  const valid = mirrors.filter((entry): entry is HostMirror => !isBroken(entry));
  const views = await viewMirrors(valid, now);
  const verdicts = new Map<string, Verdict>();
  for (const view of views) verdicts.set(view.mirror.name, verdictOf(view, now, thresholds));
  for (const entry of mirrors) if (isBroken(entry)) verdicts.set(entry.name, unknownVerdict(`invalid mirror file: ${entry.error.message.split('\n').join('; ')}`, thresholds));

  const format = options.format ?? (options.json === true ? 'tunasync' : undefined);
  if (format === 'tunasync') context.stdout.write(`${JSON.stringify(views.map((view) => tunasyncJob(view.facts)), null, 2)}\n`);
  else if (format === 'mirrorz') context.stdout.write(`${JSON.stringify(views.map((view) => mirrorzEntry(view.facts)), null, 2)}\n`);
  else context.stdout.write(renderRows(mirrors.map((entry) => entry.name), views, verdicts, now));
  return exitCodeForVerdict(worstState([...verdicts.values()].map((verdict) => verdict.state)));
}

function verdictOf(view: MirrorView, now: Date, thresholds: Thresholds): Verdict {
  if (view.read.kind === 'missing') return unknownVerdict('never ran', thresholds);
  if (view.read.kind === 'invalid') return unknownVerdict(view.read.problem, thresholds);
  return judgeStatus(view.read.status, now, thresholds, isProcessAlive);
}

function renderRows(names: readonly string[], views: readonly MirrorView[], verdicts: ReadonlyMap<string, Verdict>, now: Date): string {
  const byName = new Map(views.map((view) => [view.mirror.name, view]));
  const rows = names.map((name) => {
    const view = byName.get(name);
    const verdict = verdicts.get(name);
    const status = view?.facts.status ?? null;
    const next = view === undefined ? '-' : view.due.due ? 'due now' : `in ${formatDuration((view.facts.next.getTime() - now.getTime()) / 1000)}`;
    const job = view === undefined ? undefined : tunasyncJob(view.facts);
    return [
      name,
      verdict?.state ?? 'UNKNOWN',
      view?.facts.syncing === true ? 'syncing' : (status?.result ?? '-'),
      next,
      String(view?.triggers ?? 0),
      job?.size ?? '-',
      oneLine(view?.problem ?? verdict?.summary ?? ''),
    ];
  });
  return renderTable(['MIRROR', 'STATE', 'LAST RUN', 'NEXT RUN', 'TRIGGERS', 'SIZE', 'WHY'], rows);
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}
