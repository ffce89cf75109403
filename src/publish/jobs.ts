/**
 * One mirror's state as the status pages of mirror hosts read it: tunasync's `/jobs` entries
 * (TUNA's mirror-web, mirrorz's tunasync parser) and mirrorz.json `mirrors[]` entries. Pure.
 */
import type { RunStatus } from '../report/run-status.js';
import { dateOf, humanSize, timeStamp, timeText } from './tunasync-time.js';

/** What the host knows of one mirror, gathered from its state folder and its schedule. */
export interface MirrorFacts {
  readonly name: string;
  /** The URL it mirrors (the master's), credentials already removed. */
  readonly upstream: string;
  /** Its status.json; null when it never ran or the file is unreadable. */
  readonly status: RunStatus | null;
  /** A run holds it now (status `running` by a live process). */
  readonly syncing: boolean;
  readonly next: Date;
}

export type TunasyncStatus = 'success' | 'failed' | 'syncing' | 'pre-syncing' | 'paused' | 'disabled';

/** Exactly the fields, names and types of tunasync's WebMirrorStatus, in its order. */
export interface TunasyncJob {
  readonly name: string;
  readonly is_master: boolean;
  readonly status: TunasyncStatus;
  readonly last_update: string;
  readonly last_update_ts: number;
  readonly last_started: string;
  readonly last_started_ts: number;
  readonly last_ended: string;
  readonly last_ended_ts: number;
  readonly next_schedule: string;
  readonly next_schedule_ts: number;
  readonly upstream: string;
  readonly size: string;
}

/**
 * running → syncing; synced and noop → success; failed, interrupted, or a run that died while
 * `running` → failed; never ran → pre-syncing (waiting for its first run). mirrorsync has no
 * paused or disabled mirrors: a mirror is disabled by removing its file.
 */
export function tunasyncStatus(facts: MirrorFacts): TunasyncStatus {
  const status = facts.status;
  if (status === null) return 'pre-syncing';
  if (facts.syncing) return 'syncing';
  return status.result === 'synced' || status.result === 'noop' ? 'success' : 'failed';
}

export function tunasyncJob(facts: MirrorFacts): TunasyncJob {
  const { status } = facts;
  const lastUpdate = dateOf(status?.lastSuccessAt);
  const lastStarted = dateOf(status?.startedAt);
  const lastEnded = dateOf(status?.endedAt);
  return {
    name: facts.name,
    is_master: false,
    status: tunasyncStatus(facts),
    last_update: timeText(lastUpdate),
    last_update_ts: timeStamp(lastUpdate),
    last_started: timeText(lastStarted),
    last_started_ts: timeStamp(lastStarted),
    last_ended: timeText(lastEnded),
    last_ended_ts: timeStamp(lastEnded),
    next_schedule: timeText(facts.next),
    next_schedule_ts: timeStamp(facts.next),
    upstream: facts.upstream,
    size: humanSize(status?.totalFileSize),
  };
}

/** A mirrorz.json (v1.7) `mirrors[]` entry. */
export interface MirrorzEntry {
  readonly cname: string;
  readonly desc: string;
  readonly url: string;
  readonly status: string;
  readonly help: string;
  readonly upstream: string;
  readonly size: string;
}

/**
 * mirrorz's status string: one main status, `S<last success>`, `Y<start>`, `F<last attempt>` or
 * `U` (unknown: never ran), then auxiliaries: `O<last success>` while syncing or failed, and
 * `X<next scheduled run>`.
 */
export function mirrorzStatus(facts: MirrorFacts): string {
  const job = tunasyncJob(facts);
  const success = job.last_update_ts > 0 ? `O${job.last_update_ts}` : '';
  const next = `X${job.next_schedule_ts}`;
  switch (job.status) {
    case 'success':
      return `S${job.last_update_ts}${next}`;
    case 'syncing':
      return `Y${job.last_started_ts}${success}${next}`;
    case 'failed':
      return `F${job.last_ended_ts > 0 ? job.last_ended_ts : job.last_started_ts}${success}${next}`;
    default:
      return `U${next}`;
  }
}

export function mirrorzEntry(facts: MirrorFacts): MirrorzEntry {
  const size = humanSize(facts.status?.totalFileSize);
  return { cname: facts.name, desc: '', url: `/${facts.name}`, status: mirrorzStatus(facts), help: '', upstream: facts.upstream, size: size === 'unknown' ? '' : size };
}
