/**
 * What an rsync pass's end means for failover: `transient` retries then tries the next source,
 * `permanent` goes straight to the next source, `local` and `maxDelete` stop the run (every
 * source would fail the same way, or delete the same files), `interrupted` stops it too.
 */
export type RsyncOutcomeClass = 'success' | 'transient' | 'permanent' | 'local' | 'maxDelete' | 'interrupted';

export interface RsyncOutcome {
  readonly class: RsyncOutcomeClass;
  readonly exitCode: number | null;
  /** One sentence for logs and status.json, e.g. "rsync exit 35: connection timed out". */
  readonly reason: string;
  /** rsync met an I/O error on the sender and deleted nothing: the mirror is not equal to the source. */
  readonly deletionsSkipped?: boolean;
  /** Refused by a safety check before anything was changed (no trace, older than local...). */
  readonly refused?: boolean;
}

export interface RsyncEnd {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrLines: readonly string[];
  /** Our wall-clock watchdog (maxDurationSeconds) killed the pass. */
  readonly killedByWatchdog?: boolean;
  /** The run was canceled (SIGINT/SIGTERM to mirrorsync). */
  readonly canceled?: boolean;
  /** The pass's --max-delete cap; undefined for a pass that deletes nothing (the trace pass). */
  readonly maxDelete?: number;
  /** Deletions the pass made, from its own --stats. */
  readonly deletedFiles?: number;
}

// rsync(1) EXIT VALUES, in words.
const MEANINGS: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'syntax or usage error',
  2: 'protocol incompatibility',
  3: 'errors selecting input/output files or directories',
  4: 'requested action not supported',
  5: 'error starting the client-server protocol',
  6: 'daemon unable to append to its log file',
  10: 'socket I/O error',
  11: 'file I/O error',
  12: 'protocol data stream error',
  13: 'program diagnostics error',
  14: 'IPC error',
  20: 'received SIGUSR1 or SIGINT',
  21: 'waitpid() error',
  22: 'cannot allocate memory',
  23: 'partial transfer due to error',
  24: 'some files vanished on the sender during the transfer',
  25: 'the --max-delete limit stopped deletions',
  30: 'I/O timeout',
  35: 'connection timed out',
};

const BY_CODE: Readonly<Record<number, RsyncOutcomeClass>> = {
  1: 'local', 11: 'local', 13: 'local', 14: 'local', 22: 'local',
  2: 'permanent', 3: 'permanent', 4: 'permanent',
  10: 'transient', 12: 'transient', 23: 'transient', 30: 'transient', 35: 'transient',
};

// rsync's own sentences, each anchored to its whole line. rsync escapes control characters in
// file names (\#012), so a name cannot start a line; a daemon's MOTD is off (--no-motd on every
// pass and probe). A patched sender can still send any line through rsync's message channel, so
// the lines that stop a run or change its class are checked against facts too (see isMaxDeleteStop).
const MAX_DELETE_HIT = /^Deletions stopped due to --max-delete limit \(\d+ skipped\)$/;
const IO_ERROR_NO_DELETE = /^IO error encountered -- skipping file deletion$/;
// Exit 5 mixes "come back later" with "this source will never work for us": read the text.
const BUSY_OR_SILENT = /^(?:@ERROR: max connections \(\d+\) reached\b|rsync: did not see server greeting$)/;
const REFUSED = /^(?:@ERROR: (?:Unknown module|auth failed|chdir failed)|rsync: server sent .* rather than greeting$)/;
// Exit 23 also covers our own disk refusing writes; the [receiver]/[generator] tag says it is our side.
const LOCAL_WRITE_FAILURE =
  /^rsync: \[(?:receiver|generator)\] .*: (?:Permission denied \(13\)|Operation not permitted \(1\)|No space left on device \(28\)|Read-only file system \(30\)|Disk quota exceeded \(122\))$/i;

export function classifyRsyncExit(input: RsyncEnd): RsyncOutcome {
  const { exitCode } = input;
  const lines = input.stderrLines.map((line) => line.trimEnd());
  const deletionsSkipped = lines.some((line) => IO_ERROR_NO_DELETE.test(line));
  const outcome = (kind: RsyncOutcomeClass, reason: string): RsyncOutcome => ({
    class: kind,
    exitCode,
    reason,
    ...(deletionsSkipped ? { deletionsSkipped } : {}),
  });
  const ended = exitCode === null
    ? `rsync killed by ${input.signal ?? 'a signal'}`
    : `rsync exit ${exitCode}: ${MEANINGS[exitCode] ?? 'unknown exit status'}`;

  // A pass that completed just as we stopped it still counts as done.
  if (input.canceled === true && exitCode !== 0) return outcome('interrupted', `${ended}; the run was canceled`);
  if (input.killedByWatchdog === true && exitCode !== 0) {
    return outcome('transient', `${ended}; stopped after exceeding the pass's time limit`);
  }
  if (exitCode === null) return outcome('transient', ended);

  const maxDeleteLine = lines.find((line) => MAX_DELETE_HIT.test(line));
  const stop = isMaxDeleteStop(exitCode, maxDeleteLine !== undefined, input);
  if (stop === true) return outcome('maxDelete', withDetail(`rsync exit ${exitCode}: ${MEANINGS[25]}`, maxDeleteLine));
  if (stop !== false) return outcome('transient', withDetail(`${ended}; ${stop}`, maxDeleteLine));
  if (exitCode === 0 || exitCode === 24) {
    return deletionsSkipped
      ? outcome('transient', `${ended}, but an I/O error on the sender made rsync skip deletions`)
      : outcome('success', ended);
  }
  if (exitCode === 23) {
    const localLine = lines.find((line) => LOCAL_WRITE_FAILURE.test(line.trim()));
    if (localLine !== undefined) return outcome('local', withDetail(ended, localLine));
    const why = deletionsSkipped ? ', and an I/O error on the sender made rsync skip deletions' : '';
    return outcome('transient', withDetail(`${ended}${why}`, firstError(lines)));
  }
  if (exitCode === 5) return classifyStartupError(lines, ended, outcome);
  return outcome(BY_CODE[exitCode] ?? 'transient', withDetail(ended, firstError(lines)));
}

/**
 * A --max-delete stop ends the run with no failover and makes the next runs refuse the same
 * publication, so a source must not be able to cause one with words: rsync's sentence (or exit
 * 25, which a patched sender can also force) counts only when this pass's own deletions, from its
 * --stats, reached the cap. Returns true for a stop, false for no claim of one, or why a claim
 * was not believed (exit 25 only). 25 is overwritten by 24, and 24 by 23: the sentence then is the sign.
 */
function isMaxDeleteStop(exitCode: number, sentence: boolean, input: RsyncEnd): boolean | string {
  if (exitCode !== 25 && !(sentence && [0, 23, 24].includes(exitCode))) return false;
  const { maxDelete, deletedFiles = 0 } = input;
  if (maxDelete !== undefined && maxDelete > 0 && deletedFiles >= maxDelete) return true;
  // Not believed: a pass that exited 0, 23 or 24 is judged by its code; a forced 25 failed.
  if (exitCode !== 25) return false;
  return `a --max-delete stop was claimed, but this pass deleted ${deletedFiles} of the ${maxDelete ?? 0} entries allowed: not rsync's own stop`;
}

function classifyStartupError(
  lines: readonly string[],
  ended: string,
  outcome: (kind: RsyncOutcomeClass, reason: string) => RsyncOutcome,
): RsyncOutcome {
  const busy = lines.find((line) => BUSY_OR_SILENT.test(line));
  if (busy !== undefined) return outcome('transient', withDetail(ended, busy));
  // Any other @ERROR is the daemon refusing us on purpose (access denied, bad uid...).
  const refused = lines.find((line) => REFUSED.test(line)) ?? lines.find((line) => line.startsWith('@ERROR'));
  if (refused !== undefined) return outcome('permanent', withDetail(ended, refused));
  return outcome('transient', withDetail(ended, firstError(lines)));
}

// The first line rsync wrote about what went wrong, not its "rsync error: ... (code N)" summary.
function firstError(lines: readonly string[]): string | undefined {
  return lines.find((line) => /^(?:@ERROR|rsync: |ERROR)/.test(line.trim()));
}

function withDetail(reason: string, line: string | undefined): string {
  if (line === undefined) return reason;
  const detail = line.trim();
  return `${reason} (${detail.length > 200 ? `${detail.slice(0, 199)}…` : detail})`;
}
