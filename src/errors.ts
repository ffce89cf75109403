/**
 * Every failure mirrorsync reports is a MirrorsyncError: a stable `code` that scripts and the
 * exit-status map rely on, and a sentence for humans. Only `cli/exit-codes.ts` turns codes into
 * exit statuses.
 */
export type ErrorCode =
  | 'usage.invalid'
  | 'config.invalid'
  | 'config.notFound'
  | 'target.unsafe'
  | 'sources.unknown'
  | 'sources.noneUsable'
  | 'lock.held'
  | 'lock.failed'
  | 'sync.failed'
  | 'sync.maxDelete'
  | 'sync.local'
  | 'status.missing'
  | 'status.stale'
  | 'interrupted.sigint'
  | 'interrupted.sigterm'
  | 'internal';

export class MirrorsyncError extends Error {
  override readonly name = 'MirrorsyncError';
  readonly code: ErrorCode;
  /** Extra facts for logs and status.json (never credentials). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...options.details });
  }
}

export function isMirrorsyncError(value: unknown): value is MirrorsyncError {
  return value instanceof MirrorsyncError;
}

/** A short, single-line description of anything thrown, for logs and status files. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

/** Why an aborted signal stopped the work, as an error: the CLI aborts with one already. */
export function interruptionOf(signal: AbortSignal, message = 'interrupted'): MirrorsyncError {
  return signal.reason instanceof MirrorsyncError ? signal.reason : new MirrorsyncError('interrupted.sigterm', message);
}
