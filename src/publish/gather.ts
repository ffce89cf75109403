/**
 * What the host knows of each mirror, read from the mirrors' own state folders: status.json,
 * pending triggers, and the schedule from the config. The one place `status --all`, the host
 * status file and `sync --all --due` read it, so all three agree.
 */
import { describeError } from '../errors.js';
import type { HostMirror } from '../host/types.js';
import { inspectStatus, type StatusRead } from '../report/status-file.js';
import { dueVerdict, type DueVerdict } from '../schedule/due.js';
import { dueSchedule } from '../schedule/read-schedule.js';
import { pendingTriggers } from '../schedule/triggers.js';
import { redactUrl } from '../sources/address.js';
import { isProcessAlive } from '../util/process-alive.js';
import type { MirrorFacts } from './jobs.js';

export interface MirrorView {
  readonly mirror: HostMirror;
  readonly read: StatusRead;
  readonly facts: MirrorFacts;
  readonly triggers: number;
  readonly due: DueVerdict;
  /** Why the mirror's state could not be read fully (a symlinked triggers folder, a bad cron). */
  readonly problem: string | null;
}

export async function viewMirror(mirror: HostMirror, now: Date): Promise<MirrorView> {
  const target = mirror.config.target;
  const read: StatusRead = target === undefined ? { kind: 'invalid', problem: `${mirror.file} has no target` } : await inspectStatus(target);
  let problem: string | null = null;
  let triggers = 0;
  if (target !== undefined) {
    try {
      triggers = (await pendingTriggers(target)).length;
    } catch (error) {
      problem = describeError(error);
    }
  }
  const status = read.kind === 'ok' ? read.status : null;
  const schedule = dueSchedule(mirror.schedule);
  const lastStart = status === null ? null : new Date(status.startedAt);
  const due: DueVerdict =
    typeof schedule === 'string' ? { due: false, why: 'not yet', next: new Date(now.getTime() + 366 * 86_400_000) }
    : dueVerdict({ name: mirror.name, schedule, lastStart, triggerPending: triggers > 0, now });
  if (typeof schedule === 'string') problem = schedule;
  const facts: MirrorFacts = {
    name: mirror.name,
    upstream: upstreamOf(mirror),
    status,
    syncing: status?.result === 'running' && status.pid !== undefined && isProcessAlive(status.pid),
    next: due.due ? now : due.next,
  };
  return { mirror, read, facts, triggers, due, problem };
}

/** Every mirror at once: each view reads a few small files. */
export function viewMirrors(mirrors: readonly HostMirror[], now: Date): Promise<MirrorView[]> {
  return Promise.all(mirrors.map((mirror) => viewMirror(mirror, now)));
}

// The master's rsync address (what tunasync calls upstream), else the first that has one.
function upstreamOf(mirror: HostMirror): string {
  const sources = mirror.config.sources;
  const source = sources.find((s) => s.master && s.url !== undefined) ?? sources.find((s) => s.url !== undefined) ?? sources[0];
  const url = source?.url ?? source?.http ?? '';
  return redactUrl(url);
}
