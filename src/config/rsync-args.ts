import { quote } from './show.js';

const OWNERS_REASON = 'upstream owners and groups are never kept: files belong to the user mirrorsync runs as';
const DEVICES_REASON = 'a source could create device nodes or FIFOs on the host (a world-readable block device of its disk)';
const XATTR_REASON = 'as root a source would set ACLs and extended attributes, e.g. security.capability, which grants privileges as setuid does';

/**
 * Which extra rsync arguments sources.json may add. mirrorsync owns deletion, timeouts, temp and
 * partial dirs, credentials and the transport; an argument that would take one of those over is
 * refused with the reason.
 */
const RESERVED_LONG: ReadonlyMap<string, string> = new Map([
  ['remove-source-files', 'it would delete files on the source'],
  ['rsh', 'it runs a remote shell'],
  ['rsync-path', 'it runs a command on the remote side'],
  ['remote-option', 'it passes options to the remote side'],
  ['ignore-errors', 'it lets rsync delete after an I/O error, turning an upstream hiccup into a mass delete'],
  ['max-delete', 'mirrorsync sets it from rsync.maxDeleteFraction'],
  ['partial-dir', 'mirrorsync chooses where partial files go'],
  ['temp-dir', 'mirrorsync chooses where partial files go'],
  ['timeout', 'set rsync.timeoutSeconds instead'],
  ['contimeout', 'set rsync.connectTimeoutSeconds instead'],
  ['password-file', 'set passwordFile on the source instead'],
  ['daemon', 'it is not a client option'],
  ['server', 'it is not a client option'],
  ['sender', 'it is not a client option'],
  ['config', 'it is a daemon option'],
  ['dparam', 'it is a daemon option'],
  ['files-from', 'mirrorsync decides which files a pass transfers'],
  ['list-only', 'it turns the pass into a listing'],
  ['dry-run', 'use mirrorsync sync --dry-run instead'],
  ['log-file', 'mirrorsync keeps the log of each run itself (last-run.log)'],
  ['read-batch', 'it replaces the transfer with a batch file'],
  ['write-batch', 'it replaces the transfer with a batch file'],
  ['only-write-batch', 'it replaces the transfer with a batch file'],
  ['inplace', 'it writes into live files, so downstream would see half-written ones; mirrorsync stages updates with --delay-updates'],
  ['append', 'it trusts whatever a file already holds; mirrorsync resumes from its partial dir instead'],
  ['append-verify', 'it trusts whatever a file already holds; mirrorsync resumes from its partial dir instead'],
  ['early-input', 'stdin carries the rsync password'],
  // What a hostile source could do to the host (README, "Security model").
  ['owner', OWNERS_REASON],
  ['group', OWNERS_REASON],
  ['chown', OWNERS_REASON],
  ['usermap', OWNERS_REASON],
  ['groupmap', OWNERS_REASON],
  ['super', 'it lets a source decide what only root may (owners, device nodes); mirrorsync runs rsync with --no-super'],
  ['devices', DEVICES_REASON],
  ['specials', DEVICES_REASON],
  ['copy-devices', DEVICES_REASON],
  ['write-devices', 'it writes into device files of the host instead of replacing them'],
  ['acls', XATTR_REASON],
  ['xattrs', XATTR_REASON],
  ['keep-dirlinks', 'rsync would write through a symlinked folder of the mirror, out of the tree'],
]);

// Flags every pass relies on: their --no- forms would quietly switch them off.
const OWN_FLAGS: ReadonlySet<string> = new Set(['recursive', 'links', 'perms', 'times', 'delay-updates', 'partial', 'checksum', 'stats', 'r', 'l', 'p', 't', 'c']);

const RESERVED_SHORT: ReadonlyMap<string, string> = new Map([
  ['e', 'it runs a remote shell (-e is --rsh)'],
  ['n', 'use mirrorsync sync --dry-run instead (-n is --dry-run)'],
  ['T', 'mirrorsync chooses where partial files go (-T is --temp-dir)'],
  ['M', 'it passes options to the remote side (-M is --remote-option)'],
  ['o', `${OWNERS_REASON} (-o is --owner)`],
  ['g', `${OWNERS_REASON} (-g is --group)`],
  ['D', `${DEVICES_REASON} (-D is --devices --specials)`],
  ['A', `${XATTR_REASON} (-A is --acls)`],
  ['X', `${XATTR_REASON} (-X is --xattrs)`],
  ['K', 'rsync would write through a symlinked folder of the mirror, out of the tree (-K is --keep-dirlinks)'],
]);

const DELETE_REASON = 'mirrorsync decides when rsync deletes (always --delete-after)';
const STDIN_REASON = "stdin carries the rsync password; read the list from a file";
const STDIN_OPTIONS: readonly string[] = ['include-from', 'exclude-from', 'early-input'];
const MERGE_FROM_STDIN = /^(?:merge|dir-merge|[.:])[^ _]*[ _]-$/;
const LONG = /^--([a-z0-9][a-z0-9-]*)(?:=([\s\S]*))?$/;
const SHORT = /^-([A-Za-z0-9]+)$/;

/** Returns why an extra rsync argument is refused, or undefined when it is allowed. */
export function checkRsyncArg(arg: string): string | undefined {
  if (/[\0\n\r]/.test(arg)) return `${quote(arg)} must not contain NUL or line breaks`;
  const long = LONG.exec(arg);
  if (long !== null) return checkLong(arg, long[1] ?? '', long[2]);
  const short = SHORT.exec(arg);
  if (short !== null) {
    for (const letter of short[1] ?? '') {
      const reason = RESERVED_SHORT.get(letter);
      if (reason !== undefined) return `${quote(arg)} is not allowed: ${reason}`;
    }
    return undefined;
  }
  return `${quote(arg)} is not an option: each element must be one option, like --exclude=*.tmp or -H (write values as --name=value)`;
}

function checkLong(arg: string, name: string, value: string | undefined): string | undefined {
  const base = name.startsWith('no-') ? name.slice(3) : name;
  if (name === 'no-safe-links') return `${quote(arg)} is not allowed: set rsync.keepUnsafeLinks to true instead`;
  if (base !== name && OWN_FLAGS.has(base)) return `${quote(arg)} is not allowed: it switches off a flag every mirrorsync pass relies on`;
  if (base === 'del' || base.startsWith('delete')) return `${quote(arg)} is not allowed: ${DELETE_REASON}`;
  const reason = RESERVED_LONG.get(base);
  if (reason !== undefined) return `${quote(arg)} is not allowed: ${reason}`;
  if (value === '-' && STDIN_OPTIONS.includes(name)) return `${quote(arg)} is not allowed: ${STDIN_REASON}`;
  if (name === 'filter' && value !== undefined && MERGE_FROM_STDIN.test(value)) return `${quote(arg)} is not allowed: ${STDIN_REASON}`;
  return undefined;
}
