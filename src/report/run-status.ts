/**
 * What status.json holds, and the pure steps that build it: one at the start of a run, one at
 * its end. The file itself is read and written by status-file.ts.
 */
export type RunResult = 'running' | 'synced' | 'noop' | 'failed' | 'interrupted';
export type FinalResult = Exclude<RunResult, 'running'>;
export type RunMode = 'initial' | 'incremental';

export const RUN_RESULTS: readonly RunResult[] = ['running', 'synced', 'noop', 'failed', 'interrupted'];

/** One source a run tried, in the order tried. */
export interface TriedSource {
  readonly name: string;
  /** rsync's exit code of the last attempt; null when it never ran or was killed by a signal. */
  readonly exitCode: number | null;
  /** One line, credentials removed; null on success. */
  readonly error: string | null;
  readonly attempts?: number;
  readonly bytesReceived?: number;
}

export interface RunStatus {
  readonly result: RunResult;
  readonly mode: RunMode;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly endedAt: string | null;
  /** Only while running: the process that holds the lock. */
  readonly pid?: number;
  /** The source the tree now comes from. */
  readonly source: string | null;
  readonly tried: readonly TriedSource[];
  readonly bytesReceived: number;
  readonly filesTransferred: number;
  /** The tree's freshness (ISO 8601), as its trace says. */
  readonly freshness: string | null;
  readonly lagSeconds: number | null;
  /** End of the last run that ended synced or noop; kept across failed runs. */
  readonly lastSuccessAt: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Set when this run found status.json still saying `running`: that run died without finishing. */
  readonly previousRunDied?: { readonly startedAt: string; readonly pid: number | null };
  readonly host?: string;
  readonly version?: string;
  readonly durationSeconds?: number;
  /** rsync's "Total file size" of the tree at the last synced run (status pages show it); kept across runs. */
  readonly totalFileSize?: number;
  /** Set when a pass stopped at the --max-delete cap; kept until a run syncs. */
  readonly maxDeleteStop?: { readonly freshness: string | null; readonly identity: string | null; readonly maxDelete: number; readonly fraction: number };
}

export interface RunStart {
  readonly mode: RunMode;
  readonly startedAt: Date;
  readonly pid: number;
  readonly host?: string | undefined;
  readonly version?: string | undefined;
}

/**
 * The status written when a run starts. The caller holds the lock, so a previous status still
 * saying `running` belongs to a run that died (its process no longer holds the lock): it is
 * recorded as `previousRunDied`. The tree is untouched yet, so its source and freshness carry
 * over, and so does the time of the last success.
 */
export function startRunStatus(previous: RunStatus | null, init: RunStart): RunStatus {
  const died = previous?.result === 'running' ? { startedAt: previous.startedAt, pid: previous.pid ?? null } : undefined;
  return {
    result: 'running',
    mode: init.mode,
    startedAt: init.startedAt.toISOString(),
    endedAt: null,
    pid: init.pid,
    source: previous?.source ?? null,
    tried: [],
    bytesReceived: 0,
    filesTransferred: 0,
    freshness: previous?.freshness ?? null,
    lagSeconds: null,
    lastSuccessAt: previous === null ? null : lastSuccessOf(previous),
    error: null,
    ...(died === undefined ? {} : { previousRunDied: died }),
    ...(previous?.maxDeleteStop === undefined ? {} : { maxDeleteStop: previous.maxDeleteStop }),
    ...(previous?.totalFileSize === undefined ? {} : { totalFileSize: previous.totalFileSize }),
    ...(init.host === undefined ? {} : { host: init.host }),
    ...(init.version === undefined ? {} : { version: init.version }),
  };
}

/** How a run ended. Fields left out keep the values of the running status. */
export interface RunEnd {
  readonly result: FinalResult;
  readonly endedAt: Date;
  readonly source?: string | null | undefined;
  readonly tried?: readonly TriedSource[] | undefined;
  readonly bytesReceived?: number | undefined;
  readonly filesTransferred?: number | undefined;
  readonly freshness?: Date | null | undefined;
  readonly lagSeconds?: number | null | undefined;
  readonly error?: { readonly code: string; readonly message: string } | null | undefined;
  readonly maxDeleteStop?: RunStatus['maxDeleteStop'];
  readonly totalFileSize?: number | null | undefined;
}

/** The status written when a run ends: no pid any more, and a new lastSuccessAt on synced or noop. */
export function finishRunStatus(running: RunStatus, end: RunEnd): RunStatus {
  const { pid: _pid, maxDeleteStop: carried, ...rest } = running;
  const maxDeleteStop = end.result === 'synced' ? undefined : (end.maxDeleteStop ?? carried);
  const endedAt = end.endedAt.toISOString();
  const succeeded = end.result === 'synced' || end.result === 'noop';
  const durationMs = end.endedAt.getTime() - Date.parse(running.startedAt);
  return {
    ...rest,
    result: end.result,
    endedAt,
    source: end.source === undefined ? running.source : end.source,
    tried: end.tried ?? running.tried,
    bytesReceived: end.bytesReceived ?? running.bytesReceived,
    filesTransferred: end.filesTransferred ?? running.filesTransferred,
    freshness: end.freshness === undefined ? running.freshness : (end.freshness?.toISOString() ?? null),
    lagSeconds: end.lagSeconds === undefined ? running.lagSeconds : end.lagSeconds,
    lastSuccessAt: succeeded ? endedAt : running.lastSuccessAt,
    error: end.error ?? null,
    ...(Number.isFinite(durationMs) ? { durationSeconds: Math.max(0, durationMs) / 1000 } : {}),
    ...(maxDeleteStop === undefined ? {} : { maxDeleteStop }),
    ...(typeof end.totalFileSize === 'number' ? { totalFileSize: end.totalFileSize } : {}),
  };
}

function lastSuccessOf(status: RunStatus): string | null {
  if (status.lastSuccessAt !== null) return status.lastSuccessAt;
  // A successful status always sets lastSuccessAt; this covers files written by hand or by older versions.
  return status.result === 'synced' || status.result === 'noop' ? status.endedAt : null;
}
