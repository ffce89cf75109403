import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Logger as PinoLogger } from 'pino';
import { cannotCreateError } from '../util/can-create.js';
import { LEVEL_VALUES, type Logger, type LogFn, type LogLevel } from '../log.js';

export interface LoggerOptions {
  /** Threshold of the log file (and of stderr unless stderrLevel says otherwise). */
  readonly level: LogLevel;
  /** A higher threshold for stderr alone (--quiet keeps warnings and errors there, not in the file). */
  readonly stderrLevel?: LogLevel;
  /** Where human-facing log lines go (stderr). */
  readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Pretty lines instead of JSON on stderr (a terminal). */
  readonly pretty: boolean;
  /** Append JSON lines here too; reopened on reopen() (logrotate's postrotate sends SIGHUP). */
  readonly file?: string;
}

export interface CliLogger {
  readonly logger: Logger;
  /** Called before each line reaches stderr, e.g. to erase a progress line drawn there. */
  beforeStderrWrite: (() => void) | undefined;
  reopen(): void;
  close(): void;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const QUIET_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * pino writes each record synchronously to one destination; ours fans it out to stderr (pretty
 * or raw) and the log file, with plain fd writes so nothing is lost when the CLI exits at once.
 */
export function createCliLogger(options: LoggerOptions): CliLogger {
  let fileFd: number | undefined;
  if (options.file !== undefined) fileFd = openLogFile(options.file);
  const stderrThreshold = LEVEL_VALUES[options.stderrLevel ?? options.level];
  // Without a file, records under the stderr threshold go nowhere: do not even format them.
  const level = options.file === undefined ? (options.stderrLevel ?? options.level) : options.level;
  const destination = {
    write(line: string): void {
      if (recordLevel(line) >= stderrThreshold) {
        cliLogger.beforeStderrWrite?.();
        options.stderr.write(options.pretty ? prettyLine(line) : line);
      }
      if (fileFd !== undefined) writeSync(fileFd, line);
    },
  };
  const cliLogger: CliLogger = {
    logger: lazyPino(level, destination),
    beforeStderrWrite: undefined,
    reopen() {
      if (options.file === undefined) return;
      // Open the new file before closing the old: a failed open (its folder gone, say) must not
      // kill a sync mid-run, nor leave a closed descriptor number for another file to take.
      let next: number;
      try {
        next = openSync(options.file, 'a', 0o640);
      } catch (error) {
        options.stderr.write(`mirrorsync: cannot reopen the log file ${options.file}: ${error instanceof Error ? error.message : String(error)}; logging to stderr only\n`);
        if (fileFd !== undefined) closeSync(fileFd);
        fileFd = undefined;
        return;
      }
      if (fileFd !== undefined) closeSync(fileFd);
      fileFd = next;
    },
    close() {
      if (fileFd !== undefined) closeSync(fileFd);
      fileFd = undefined;
    },
  };
  return cliLogger;
}

/** Opens --log-file for appending; what stops it is the operator's to fix, with a sentence (exit 73). */
function openLogFile(file: string): number {
  try {
    return openSync(file, 'a', 0o640);
  } catch (error) {
    throw cannotCreateError('log file', file, error);
  }
}

function recordLevel(line: string): number {
  return Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? LEVEL_VALUES.fatal);
}

const METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * pino costs about 30 ms to load, more than the rest of a no-op run's own work; a quiet scheduled
 * run that logs nothing should not pay it. The first record at an enabled level loads it
 * (synchronously: pino is CommonJS), and every later one goes straight to it.
 */
function lazyPino(level: LogLevel, destination: { write(line: string): void }): Logger {
  let real: PinoLogger | undefined;
  const load = (): PinoLogger => {
    if (real === undefined) {
      const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
      real = pino({ level, base: { pid: process.pid } }, destination);
    }
    return real;
  };
  const method = (name: (typeof METHODS)[number]): LogFn => {
    if (LEVEL_VALUES[name] < LEVEL_VALUES[level]) return () => undefined;
    return ((fields: object | string, message?: string) => {
      const target = load();
      if (typeof fields === 'string') target[name](fields);
      else target[name](fields, message);
    }) as LogFn;
  };
  return Object.fromEntries(METHODS.map((name) => [name, method(name)])) as unknown as Logger;
}

function prettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record['time'] === 'number' ? new Date(record['time']).toISOString().slice(11, 19) : '';
  const level = LEVEL_NAMES[Number(record['level'])] ?? 'LOG';
  const extras = Object.entries(record)
    .filter(([key]) => !QUIET_KEYS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${time} ${level.padEnd(5)} ${String(record['msg'] ?? '')}${extras.length > 0 ? `  ${extras.join(' ')}` : ''}\n`;
}
