import { PARTIAL_DIR, STATE_DIR } from '../sync/rsync-args.js';
import { rsyncdValue } from './quote.js';

export interface RsyncdConfInput {
  /** config.name: the module's name. */
  readonly name: string;
  /** Absolute path of the tree to serve. */
  readonly target: string;
  /** The config it was printed from, for the header. */
  readonly configFile: string;
  /** Printed for a daemon started as root: chroot, and transfers as `nobody`. */
  readonly root?: { readonly group: string };
  /** The lock file counting connections ("max connections"). */
  readonly lockFile: string;
}

/** Connections served at once; later clients get "max connections (50) reached -- try again later". */
export const MAX_CONNECTIONS = 50;
/** Seconds a silent client may hold a connection. */
export const IO_TIMEOUT_SECONDS = 600;

/**
 * What a mirror keeps to itself: the sync's lock (and its pid-file fallback), the temp files of
 * its atomic writes, and rsync's partial dirs at any depth (`/***` hides a folder and everything
 * in it, even when asked for by name). The rest of .mirrorsync/ (trace, status.json,
 * last-run.log) is served: downstream mirrors probe the trace, operators read the rest.
 */
export function privateFilePatterns(): string[] {
  return [`/${STATE_DIR}/lock`, `/${STATE_DIR}/lock.pid`, `/${STATE_DIR}/.*.tmp`, `${PARTIAL_DIR}/***`];
}

/** A complete rsyncd.conf (global part and one module) that `rsync --daemon --config=FILE` runs as printed. */
export function renderRsyncdConf(input: RsyncdConfInput): string {
  const module = rsyncdValue(input.name);
  // rsync trims a value's trailing blanks; a trailing slash keeps a folder name that ends in one.
  const path = /\s$/.test(input.target) ? `${input.target}/` : input.target;
  return [
    `# rsyncd.conf serving the ${input.name} mirror read-only to other mirrors, printed by`,
    `# \`mirrorsync rsyncd-conf\` from ${input.configFile}.`,
    '# Install it as /etc/rsyncd.conf (Debian: systemctl enable --now rsync), or run it alone:',
    '#   rsync --daemon --no-detach --config=THIS-FILE [--port=873] [--address=IP]',
    `# Downstream mirrors then sync with: rsync -a --delete-after rsync://THIS-HOST/${input.name}/ DIR/`,
    `# (for a mirrorsync downstream, a source with "url": "rsync://THIS-HOST/${input.name}/").`,
    '',
    '# Messages go to syslog (tag "rsyncd"); add "log file = PATH" to keep them in a file instead.',
    '# This file counts connections for "max connections": one per mirror, so daemons never share counts.',
    `lock file = ${rsyncdValue(input.lockFile)}`,
    '# No reverse DNS lookup on every connection: nothing here allows or denies by host name.',
    'reverse lookup = no',
    ...(input.root === undefined
      ? [
          '# Printed for a daemon that is not root: no chroot (it needs root), transfers run as the user',
          '# that starts it. Fine on a high port for a private network; print this file as root to get',
          '# the chroot for a public mirror.',
          'use chroot = no',
        ]
      : [
          '# Started as root: each transfer chroots into the tree and runs as nobody, so a symlink in the',
          '# tree cannot reach anything outside it and nothing the tree does not let everyone read is served.',
          'uid = nobody',
          `gid = ${rsyncdValue(input.root.group)}`,
          'use chroot = yes',
        ]),
    'numeric ids = yes',
    '',
    `[${module}]`,
    `comment = ${module} mirror (mirrorsync)`,
    `path = ${rsyncdValue(path)}`,
    'read only = yes',
    'list = yes',
    `max connections = ${MAX_CONNECTIONS}`,
    `timeout = ${IO_TIMEOUT_SECONDS}`,
    'transfer logging = no',
    '# The sync\'s lock and temp files and rsync\'s partial dirs stay private; .mirrorsync/trace and',
    '# status.json are served for downstream probes and the master\'s operators.',
    `exclude = ${privateFilePatterns().join(' ')}`,
    '# No "ignore nonreadable": a file hidden from the listing would be deleted by every downstream',
    '# --delete sync, while an unreadable one stays listed: downstreams keep their copy and see exit 23.',
    '# No "refuse options = delete": a read-only module takes no uploads, so there is nothing to',
    '# protect, and a downstream mirror\'s --delete-after deletes on its own side.',
    '# No "dont compress": rsync 3.2 and later ignore it (except "*"); clients already skip compressing',
    '# .gz, .xz, .zst, .deb, .rpm, .iso and the like by themselves.',
    '',
  ].join('\n');
}

