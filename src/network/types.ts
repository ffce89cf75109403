/** How a source was reached in one check: each protocol it offers is recorded apart. */
export type Protocol = 'rsync' | 'http';

/** What a mirror says of its own last run, read from its published `.mirrorsync/` files (all of it untrusted text, already bounded). */
export interface OwnStatus {
  /** status.json's `result` (`synced`, `failed`, ...), or null when there was none to read. */
  readonly result: string | null;
  readonly endedAt: string | null;
  readonly lastSuccessAt: string | null;
  /** status.json's `error.message`. */
  readonly error: string | null;
  /** The last line of last-run.log in rsync's own error format (`@ERROR: ...`, `rsync error: ...`). */
  readonly logError: string | null;
  /** Why the files could not be read or made no sense; null when they could. */
  readonly problem: string | null;
}

/** One source over one protocol in one check. */
export interface CheckRow {
  readonly source: string;
  readonly protocol: Protocol;
  /** The address probed, any password replaced by ***. */
  readonly url: string;
  readonly master: boolean;
  /** The trace (or listing) was read. */
  readonly ok: boolean;
  /** The mirror's freshness, when read. */
  readonly freshness: Date | null;
  readonly durationMs: number;
  /** `kind: message` of the failed probe, or null. */
  readonly error: string | null;
  /** Null when the mirror publishes nothing of its own (or this protocol did not read it). */
  readonly own: OwnStatus | null;
}

/** One `network check`: every source probed once at `checkedAt`. */
export interface Check {
  readonly checkedAt: Date;
  /** Most rows failed: the checker's own network is the likely cause, so it is not counted against the mirrors. */
  readonly suspect: boolean;
  readonly rows: readonly CheckRow[];
}

/** Days of history kept in the database. */
export const HISTORY_DAYS = 90;
