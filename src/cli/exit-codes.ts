import type { ErrorCode } from '../errors.js';
import type { VerdictState } from '../report/verdict.js';

/** The one place where error codes become exit statuses (sysexits.h values, see DESIGN.md). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 64,
  unavailable: 69,
  software: 70,
  cantCreate: 73,
  ioError: 74,
  tempFail: 75,
  config: 78,
  sigint: 130,
  sigterm: 143,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  'usage.invalid': EXIT.usage,
  'config.invalid': EXIT.config,
  'config.notFound': EXIT.config,
  'target.unsafe': EXIT.config,
  'sources.unknown': EXIT.usage,
  'sources.noneUsable': EXIT.unavailable,
  'lock.held': EXIT.tempFail,
  'lock.failed': EXIT.ioError,
  // The state folder or a state file is a link or of the wrong type: refused, never written through.
  'state.unsafe': EXIT.ioError,
  'sync.failed': EXIT.failed,
  'sync.maxDelete': EXIT.failed,
  'sync.local': EXIT.ioError,
  'local.cannotCreate': EXIT.cantCreate,
  'sync.diskFloor': EXIT.ioError,
  'status.missing': EXIT.failed,
  'status.stale': EXIT.failed,
  'interrupted.sigint': EXIT.sigint,
  'interrupted.sigterm': EXIT.sigterm,
  internal: EXIT.software,
};

export function exitCodeFor(code: ErrorCode): number {
  return BY_CODE[code];
}

/** `status` is a monitoring plugin: its exit status is the verdict's, in the plugins' convention. */
const BY_VERDICT: Record<VerdictState, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

export function exitCodeForVerdict(state: VerdictState): number {
  return BY_VERDICT[state];
}
