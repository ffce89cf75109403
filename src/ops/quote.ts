import { MirrorsyncError } from '../errors.js';

// Each file format we print reads a value up to the end of its line: a line break in a path
// would start a new directive (or a new cron job). Such paths are refused, not escaped.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Throws usage.invalid when a value meant for one line of a generated file holds a control character. */
export function requireOneLine(value: string, what: string): string {
  if (CONTROL.test(value)) {
    throw new MirrorsyncError('usage.invalid', `${what} ${JSON.stringify(value)} holds a control character; it cannot be written into a schedule or daemon config`);
  }
  return value;
}

/** A word for /bin/sh: bare when it holds only safe characters, else single-quoted. */
export function shellWord(value: string): string {
  requireOneLine(value, 'the path');
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A crontab command: cron turns an unescaped `%` into a newline and feeds the rest to stdin, and
 * removes the backslash of `\%`. A `\` already before a `%` cannot survive that, so it is refused.
 */
export function cronCommand(shellLine: string): string {
  if (shellLine.includes('\\%')) {
    throw new MirrorsyncError('usage.invalid', `cannot write ${JSON.stringify(shellLine)} into a crontab: a backslash before '%' does not survive cron's escaping`);
  }
  return shellLine.replace(/%/g, '\\%');
}

/**
 * The program of a systemd command line (ExecStart=): quoted when needed, `%` doubled
 * (specifiers). systemd expands no variables there, and refuses a program whose path holds a
 * quote or a backslash, whatever the quoting.
 */
export function systemdProgram(path: string): string {
  if (/['"\\]/.test(path)) {
    throw new MirrorsyncError('usage.invalid', `systemd refuses to run a program whose path holds a quote or a backslash: ${JSON.stringify(path)}; install it under a plainer path`);
  }
  return systemdWord(path);
}

/**
 * An argument of a systemd command line: double-quoted when needed, with C escapes for `\` and
 * `"`, `%` doubled (specifiers) and `$` doubled (environment variable expansion).
 */
export function systemdArgument(value: string): string {
  return systemdWord(value).replace(/\$/g, '$$$$');
}

/** A word of a systemd path list (ReadWritePaths=): quoted as above, `%` doubled, no `$` expansion there. */
export function systemdPathWord(value: string): string {
  return systemdWord(value);
}

function systemdWord(value: string): string {
  requireOneLine(value, 'the path');
  const escaped = value.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@+=:,./%$-]+$/.test(value)) return escaped;
  return `"${escaped.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/** A value of rsyncd.conf: no quoting exists; `%VAR%` is expanded, so `%` is doubled. */
export function rsyncdValue(value: string): string {
  return requireOneLine(value, 'the value').replace(/%/g, '%%');
}

/** A YAML scalar: JSON's double-quoted strings are valid YAML. */
export function yamlString(value: string): string {
  return JSON.stringify(value);
}
