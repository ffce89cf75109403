import { isIPv6 } from 'node:net';

/**
 * rsync daemon addresses: `rsync://[user[:password]@]host[:port]/module[/path]/` and
 * `[user@]host::module[/path]`. Parsing is strict because a URL reaches rsync's argv, where
 * anything that looks like an option would be an injection.
 */
export interface RsyncAddress {
  readonly user?: string;
  readonly password?: string;
  /** Host name, IPv4 address, or IPv6 address without brackets. */
  readonly host: string;
  readonly port: number;
  readonly module: string;
  /** Path inside the module, without leading or trailing slashes ('' for the module root). */
  readonly path: string;
}

export const RSYNC_DEFAULT_PORT = 873;

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const MODULE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const USER = /^[A-Za-z0-9._-]+$/;
const PATH_SEGMENT = /^[^\0/]+$/;

/** Parses an rsync daemon address, or returns a sentence saying what is wrong with it. */
export function parseRsyncAddress(input: string): RsyncAddress | { error: string } {
  if (input.startsWith('-')) return { error: 'must not begin with "-"' };
  if (/[\s\u0000-\u001f\u007f]/.test(input)) return { error: 'must not contain white space or control characters' };
  return input.startsWith('rsync://') ? parseUrlForm(input.slice('rsync://'.length)) : parseDoubleColonForm(input);
}

function parseUrlForm(rest: string): RsyncAddress | { error: string } {
  const slash = rest.indexOf('/');
  if (slash < 0) return { error: 'needs a module: rsync://host/module/' };
  const authority = rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  if (at >= 0) {
    const credentials = authority.slice(0, at);
    const colon = credentials.indexOf(':');
    user = decodeOrUndefined(colon < 0 ? credentials : credentials.slice(0, colon));
    if (colon >= 0) password = decodeOrUndefined(credentials.slice(colon + 1));
    if (user === undefined || !USER.test(user)) return { error: 'has an invalid user name' };
    if (colon >= 0 && (password === undefined || password === '')) return { error: 'has an invalid password' };
  }
  const hostPort = splitHostPort(authority.slice(at + 1));
  if ('error' in hostPort) return hostPort;
  const location = splitModulePath(rest.slice(slash + 1));
  if ('error' in location) return location;
  return withOptional({ host: hostPort.host, port: hostPort.port, ...location }, user, password);
}

function parseDoubleColonForm(input: string): RsyncAddress | { error: string } {
  // An IPv6 host carries colons of its own: look for '::' only after its closing bracket.
  const separator = input.indexOf('::', input.startsWith('[') || /^[^@]*@\[/.test(input) ? input.indexOf(']') : 0);
  if (separator < 0) return { error: 'must be rsync://host/module/ or host::module' };
  let authority = input.slice(0, separator);
  let user: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    user = authority.slice(0, at);
    if (!USER.test(user)) return { error: 'has an invalid user name' };
    authority = authority.slice(at + 1);
  }
  const host = parseHost(authority);
  if (typeof host !== 'string') return host;
  const location = splitModulePath(input.slice(separator + 2));
  if ('error' in location) return location;
  return withOptional({ host, port: RSYNC_DEFAULT_PORT, ...location }, user, undefined);
}

function withOptional(base: Omit<RsyncAddress, 'user' | 'password'>, user: string | undefined, password: string | undefined): RsyncAddress {
  return {
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...base,
  };
}

function splitHostPort(authority: string): { host: string; port: number } | { error: string } {
  let hostPart = authority;
  let portPart: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return { error: 'has an unclosed IPv6 bracket' };
    hostPart = authority.slice(0, close + 1);
    const after = authority.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return { error: 'has garbage after the IPv6 address' };
      portPart = after.slice(1);
    }
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      hostPart = authority.slice(0, colon);
      portPart = authority.slice(colon + 1);
    }
  }
  const host = parseHost(hostPart);
  if (typeof host !== 'string') return host;
  if (portPart === undefined) return { host, port: RSYNC_DEFAULT_PORT };
  if (!/^\d{1,5}$/.test(portPart) || Number(portPart) < 1 || Number(portPart) > 65535) {
    return { error: `has an invalid port '${portPart}'` };
  }
  return { host, port: Number(portPart) };
}

function parseHost(text: string): string | { error: string } {
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1);
    return isIPv6(inner.split('%')[0] ?? '') ? inner : { error: `has an invalid IPv6 address '${text}'` };
  }
  if (text === '') return { error: 'needs a host' };
  if (text.startsWith('-')) return { error: 'has a host that begins with "-"' };
  if (IPV4.test(text) || HOST_NAME.test(text)) return text;
  return { error: `has an invalid host '${text}'` };
}

function splitModulePath(text: string): { module: string; path: string } | { error: string } {
  const segments = text.split('/').filter((segment) => segment !== '');
  const [module, ...rest] = segments;
  if (module === undefined) return { error: 'needs a module' };
  if (!MODULE.test(module)) return { error: `has an invalid module name '${module}'` };
  for (const segment of rest) {
    if (!PATH_SEGMENT.test(segment) || segment === '..' || segment === '.') {
      return { error: `has an invalid path segment '${segment}'` };
    }
  }
  return { module, path: rest.join('/') };
}

function decodeOrUndefined(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** The address rsync is given (never with a password: that travels on stdin). */
export function formatRsyncUrl(address: RsyncAddress, subPath = ''): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const user = address.user === undefined ? '' : `${encodeURIComponent(address.user)}@`;
  const port = address.port === RSYNC_DEFAULT_PORT ? '' : `:${address.port}`;
  const path = [address.module, address.path, subPath].filter((part) => part !== '').join('/');
  return `rsync://${user}${host}${port}/${path}`;
}

/** The address for humans: the password, if any, replaced by ***. */
export function redactUrl(url: string): string {
  return url.replace(/^(rsync:\/\/[^/@:]+:)[^/]*@/, '$1***@');
}
