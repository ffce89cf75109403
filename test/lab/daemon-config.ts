/** Everything that goes into one lab daemon's rsyncd.conf; all paths absolute. */
export interface RsyncdConfInput {
  pidFile: string;
  lockFile: string;
  logFile: string;
  module: string;
  tree: string;
  readOnly: boolean;
  /** True when the daemon runs as root: it then stays root instead of dropping to nobody. */
  asRoot: boolean;
  motdFile?: string;
  maxConnections?: number;
  auth?: { user: string; secretsFile: string };
  extraModuleLines?: string[];
}

// rsyncd.conf has no quoting: a value runs to the end of its line, so a newline would inject a parameter.
function value(text: string): string {
  if (/[\r\n]/.test(text)) throw new Error(`rsyncd.conf value with a line break: ${JSON.stringify(text)}`);
  return text;
}

/** The text of an rsyncd.conf serving one module, fit for running unprivileged or as root. */
export function buildRsyncdConf(input: RsyncdConfInput): string {
  const lines = [
    `pid file = ${value(input.pidFile)}`,
    `lock file = ${value(input.lockFile)}`,
    `log file = ${value(input.logFile)}`,
    'use chroot = no',
    'numeric ids = yes',
    'transfer logging = yes',
  ];
  if (input.asRoot) lines.push('uid = root', 'gid = root');
  if (input.motdFile !== undefined) lines.push(`motd file = ${value(input.motdFile)}`);
  lines.push(
    '',
    `[${value(input.module)}]`,
    `path = ${value(input.tree)}`,
    `comment = mirrorsync lab module`,
    `read only = ${input.readOnly ? 'yes' : 'no'}`,
    'munge symlinks = no',
    `max connections = ${input.maxConnections ?? 0}`,
  );
  if (input.auth !== undefined) {
    lines.push(`auth users = ${value(input.auth.user)}`, `secrets file = ${value(input.auth.secretsFile)}`);
  }
  for (const line of input.extraModuleLines ?? []) lines.push(value(line));
  return `${lines.join('\n')}\n`;
}
