/** How modules log: pino's call shapes, `(fields, message)` or `(message)`. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** pino's numeric levels; `silent` is above all. */
export const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** A logger that adds `fields` to every line (one mirror's lines among a host's). */
export function withFields(logger: Logger, fields: object): Logger {
  const wrap = (log: LogFn): LogFn =>
    ((first: object | string, message?: string) => (typeof first === 'string' ? log(fields, first) : log({ ...fields, ...first }, message))) as LogFn;
  return { fatal: wrap(logger.fatal), error: wrap(logger.error), warn: wrap(logger.warn), info: wrap(logger.info), debug: wrap(logger.debug), trace: wrap(logger.trace) };
}
