import { parseRsyncAddress, redactUrl } from '../sources/address.js';
import type { RsyncAddress } from '../sources/address.js';
import { quote } from './show.js';

/**
 * Rules for single values: each takes what the file holds and returns the value to keep, or a
 * sentence saying what is wrong (the caller prefixes the JSON path).
 */
export type Checked<T> = { value: T } | { error: string };

export const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

// A target equal to one of these would let `--delete-after` empty a directory the system needs.
export const SYSTEM_DIRECTORIES: readonly string[] = [
  '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/media', '/mnt',
  '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var',
];

const CONTROL = /[\u0000-\u001f\u007f]/;
const BARE_COMMAND = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;

export function checkName(value: string): Checked<string> {
  return NAME_PATTERN.test(value) ? { value } : { error: `must match ${NAME_PATTERN.source} (letters, digits, '.', '_', '-'), got ${quote(value)}` };
}

export function checkTarget(value: string): Checked<string> {
  if (CONTROL.test(value)) return { error: `must not contain control characters, got ${quote(value)}` };
  if (!value.startsWith('/')) return { error: `must be an absolute path, got ${quote(value)}` };
  const segments = value.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '..' || segment === '.')) {
    return { error: `must not contain '.' or '..' segments, got ${quote(value)}` };
  }
  const normal = `/${segments.join('/')}`;
  if (normal === '/') return { error: "must not be '/': a sync deletes what upstream does not have" };
  if (SYSTEM_DIRECTORIES.includes(normal)) {
    return { error: `must not be the system directory ${quote(normal)}: a sync deletes what upstream does not have; use a subdirectory` };
  }
  return { value: normal };
}

export function checkTrace(value: string): Checked<string> {
  if (value === '') return { error: 'must not be empty' };
  if (CONTROL.test(value)) return { error: `must not contain control characters, got ${quote(value)}` };
  if (value.startsWith('/')) return { error: `must be a path relative to the tree, without a leading '/', got ${quote(value)}` };
  if (value.startsWith('-')) return { error: `must not begin with '-', got ${quote(value)}` };
  if (value.endsWith('/')) return { error: `must name a file, not a directory, got ${quote(value)}` };
  const segments = value.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.' || segment === '')) {
    return { error: `must not contain '.', '..' or empty segments, got ${quote(value)}` };
  }
  if (segments[0] === '.mirrorsync') return { error: "must not be inside .mirrorsync/, which no rsync pass transfers" };
  return { value };
}

/** argv[0] of a hook, or the rsync binary: an absolute path or a bare name looked up in PATH. */
export function checkCommand(value: string): Checked<string> {
  if (value.includes('\0')) return { error: 'must not contain a NUL character' };
  if (value.startsWith('/') || BARE_COMMAND.test(value)) return { value };
  return { error: `must be an absolute path or a bare command name, got ${quote(value)}` };
}

export function checkAbsolutePath(value: string): Checked<string> {
  if (CONTROL.test(value)) return { error: `must not contain control characters, got ${quote(value)}` };
  return value.startsWith('/') ? { value } : { error: `must be an absolute path, got ${quote(value)}` };
}

const HTTP_SHAPE = /^https?:\/\/[^/?#@\s]+(?:\/[^?#\s]*)?$/i;

export function checkHttp(value: string): Checked<string> {
  if (CONTROL.test(value) || /\s/.test(value)) return { error: `must not contain white space or control characters, got ${quote(value)}` };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { error: `must be an http:// or https:// URL, got ${quote(value)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: `must be an http:// or https:// URL, got ${quote(value)}` };
  if (url.username !== '' || url.password !== '') {
    return { error: `must not hold credentials, got ${quote(`${url.protocol}//***@${url.host}${url.pathname}`)}` };
  }
  if (value.includes('?') || value.includes('#')) {
    return { error: `must be a base URL without a query or fragment, got ${quote(value)}` };
  }
  if (!HTTP_SHAPE.test(value)) return { error: `must be http(s)://host[:port]/path/, got ${quote(value)}` };
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return { value: url.href };
}

export function checkRsyncUrl(value: string): Checked<RsyncAddress> {
  // parseRsyncAddress lets control characters other than white space through in a path.
  const parsed = CONTROL.test(value) ? { error: 'must not contain white space or control characters' } : parseRsyncAddress(value);
  if (!('error' in parsed)) return { value: parsed };
  const shape = 'must be rsync://host/module/ or host::module';
  const shown = redactAddress(value);
  // The parser quotes pieces of the value (a host, a port) that may be bits of a password.
  const detail = shown === value ? parsed.error : parsed.error.replace(/'[^']*'/g, "'***'");
  const reason = parsed.error === shape ? '' : ` (${detail})`;
  return { error: `${shape}, got ${quote(shown)}${reason}` };
}

// redactUrl only knows well-formed rsync:// URLs; a value that failed to parse may still hold a
// password (`u:secret@host::mod`, `rsync://u:pa/ss@host/`), so mask from the first ':' after the
// scheme to the last '@'.
export function redactAddress(value: string): string {
  const redacted = redactUrl(value);
  const at = redacted.lastIndexOf('@');
  const start = redacted.startsWith('rsync://') ? 'rsync://'.length : 0;
  const colon = redacted.indexOf(':', start);
  if (at < 0 || colon < 0 || colon > at) return redacted;
  return `${redacted.slice(0, colon + 1)}***${redacted.slice(at)}`;
}
