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
  | 'state.unsafe'
  | 'sync.failed'
  | 'sync.maxDelete'
  | 'sync.local'
  | 'local.cannotCreate'
  | 'sync.diskFloor'
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

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'it already exists',
  ELOOP: 'too many symlinks, or a symlink where none is followed',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** A Node system error (fs, net): an errno code, and usually the path and the call that failed. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code ?? '');
}

/** "its folder does not exist (ENOENT)": why a local file operation failed, in words. */
export function describeSystemError(error: NodeJS.ErrnoException): string {
  const code = error.code ?? '';
  return `${FS_REASONS[code] ?? describeError(error).replace(/^[A-Z]+: /, '')} (${code})`;
}

/**
 * Anything thrown, as a MirrorsyncError: a local file or system error left unwrapped somewhere is
 * still a local failure with a sentence (`sync.local`, exit 74), never an internal error.
 */
export function asMirrorsyncError(error: unknown): MirrorsyncError {
  if (error instanceof MirrorsyncError) return error;
  if (isSystemError(error)) {
    const where = error.path === undefined ? (error.syscall ?? 'a local operation') : `${error.syscall ?? 'access'} ${error.path}`;
    return new MirrorsyncError('sync.local', `${where}: ${describeSystemError(error)}`, { cause: error, details: { path: error.path } });
  }
  return new MirrorsyncError('internal', describeError(error), { cause: error });
}
