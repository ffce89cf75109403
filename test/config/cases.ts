/**
 * sources.json documents shared by the validator, loader and schema tests. Each bad case names the
 * JSON path its message must start with, and says whether the JSON Schema can express the rule
 * ('rejects') or only the validator can ('validator-only', with the reason).
 */
export type Doc = Record<string, unknown>;

export interface BadCase {
  readonly title: string;
  readonly doc: unknown;
  /** The message line must start with `${path}: `. */
  readonly path: string;
  /** And the line must match this. */
  readonly match?: RegExp;
  /** Text that must appear nowhere in the message (a password). */
  readonly secret?: string;
  readonly schema: 'rejects' | { readonly validatorOnly: string };
}

export interface GoodCase {
  readonly title: string;
  readonly doc: unknown;
}

/** A valid document: a master, an rsync alternate with http, a probe-only source. */
export function baseDoc(): Doc {
  return {
    target: '/srv/mirror/test',
    trace: 'zzz/timestamp.html',
    sources: [
      { name: 'master', url: 'rsync://127.0.0.1/sage/', master: true },
      { name: 'alt', url: 'alt.example.org::sage', http: 'https://alt.example.org/sage/' },
      { name: 'web', http: 'https://web.example.org/sage/', region: 'GB' },
    ],
  };
}

export function withTop(patch: Doc): Doc {
  return { ...baseDoc(), ...patch };
}

export function withSource(index: number, patch: Doc, remove: readonly string[] = []): Doc {
  const doc = baseDoc();
  const sources = (doc['sources'] as Doc[]).map((source) => ({ ...source }));
  const source: Doc = { ...sources[index], ...patch };
  for (const key of remove) delete source[key];
  sources[index] = source;
  return { ...doc, sources };
}

export function withSection(section: 'rsync' | 'probe' | 'hooks', patch: Doc): Doc {
  return { ...baseDoc(), [section]: patch };
}

const rejects = 'rejects' as const;

export const BAD_CASES: readonly BadCase[] = [
  { title: 'unknown top-level key, close to a known one', doc: withTop({ targte: '/srv/x' }), path: 'targte', match: /unknown key; did you mean 'target'\?/, schema: rejects },
  { title: 'unknown top-level key, close to nothing', doc: withTop({ colour: 'blue' }), path: 'colour', match: /unknown key \(known keys: .*sources/, schema: rejects },
  { title: 'unknown source key with a suggestion', doc: withSource(0, { prority: 1 }), path: 'sources[0].prority', match: /unknown key; did you mean 'priority'\?/, schema: rejects },
  { title: 'unknown rsync key with a suggestion', doc: withSection('rsync', { timeoutSecond: 5 }), path: 'rsync.timeoutSecond', match: /did you mean 'timeoutSeconds'/, schema: rejects },
  { title: 'the document is an array', doc: [baseDoc()], path: '(root)', match: /must be an object, got an array/, schema: rejects },
  { title: '$schema is not a string', doc: withTop({ $schema: 5 }), path: '$schema', match: /must be a string, got number 5/, schema: rejects },
  { title: 'name with a space', doc: withTop({ name: 'my mirror' }), path: 'name', schema: rejects },
  { title: 'duplicate source names', doc: withSource(2, { name: 'alt' }), path: 'sources[2].name', match: /already the name of sources\[1\]/, schema: { validatorOnly: 'JSON Schema cannot ask for unique values of one property across array items' } },
  { title: 'no master', doc: withSource(0, { master: false }), path: 'sources', match: /no source is the master/, schema: { validatorOnly: '"exactly one item with master: true" needs contains/maxContains, which the schema does not use' } },
  { title: 'two masters', doc: withSource(1, { master: true }), path: 'sources[1].master', match: /only one source may be the master; sources\[0\] already is/, schema: { validatorOnly: 'as above' } },
  { title: 'master without a url', doc: withSource(0, { http: 'https://master.example.org/' }, ['url']), path: 'sources[0].url', match: /master needs an rsync url/, schema: rejects },
  { title: 'master is a string', doc: withSource(0, { master: 'true' }), path: 'sources[0].master', match: /must be true or false, got string 'true'/, schema: rejects },
  { title: 'url beginning with -', doc: withSource(1, { url: '-host::sage' }), path: 'sources[1].url', match: /got '-host::sage'/, schema: rejects },
  { title: 'url --rsh=sh', doc: withSource(2, { url: '--rsh=sh' }), path: 'sources[2].url', match: /^sources\[2\]\.url: must be rsync:\/\/host\/module\/ or host::module, got '--rsh=sh'/, schema: rejects },
  { title: 'url with a space', doc: withSource(1, { url: 'rsync://host/sage /' }), path: 'sources[1].url', match: /white space/, schema: rejects },
  { title: 'url with a control character in its path', doc: withSource(1, { url: 'rsync://host/sage/a\u0001b/' }), path: 'sources[1].url', match: /control characters/, schema: rejects },
  { title: 'url without a module', doc: withSource(1, { url: 'rsync://host' }), path: 'sources[1].url', schema: rejects },
  { title: 'url host:: without a module', doc: withSource(1, { url: 'host::' }), path: 'sources[1].url', schema: rejects },
  { title: 'url that is an http URL', doc: withSource(1, { url: 'https://host/sage/' }), path: 'sources[1].url', schema: rejects },
  { title: 'url with a bad host and a password: the password stays out of the message', doc: withSource(1, { url: 'rsync://u:s3cretpw@bad_host/sage/' }), path: 'sources[1].url', secret: 's3cretpw', match: /rsync:\/\/u:\*\*\*@bad_host\/sage\//, schema: { validatorOnly: 'host name syntax is checked by parseRsyncAddress only' } },
  { title: 'url with a password containing / (does not parse): no part of it in the message', doc: withSource(1, { url: 'rsync://u:pa55/w0rd@host/sage/' }), path: 'sources[1].url', secret: 'pa55', match: /'rsync:\/\/u:\*\*\*@host\/sage\/'/, schema: { validatorOnly: 'authority syntax is checked by parseRsyncAddress only' } },
  { title: 'url with a bad IPv6 address', doc: withSource(1, { url: 'rsync://[zz]/sage/' }), path: 'sources[1].url', match: /IPv6/, schema: { validatorOnly: 'host syntax' } },
  { title: 'http with a javascript: scheme', doc: withSource(1, { http: 'javascript:alert(1)' }), path: 'sources[1].http', match: /must be an http:\/\/ or https:\/\/ URL/, schema: rejects },
  { title: 'http with credentials', doc: withSource(1, { http: 'https://u:hunter22@alt.example.org/' }), path: 'sources[1].http', secret: 'hunter22', match: /credentials/, schema: rejects },
  { title: 'http with a query', doc: withSource(1, { http: 'https://alt.example.org/sage/?x=1' }), path: 'sources[1].http', schema: rejects },
  { title: 'http without a host', doc: withSource(1, { http: 'https:///sage/' }), path: 'sources[1].http', schema: rejects },
  { title: 'http with an empty host before a port', doc: withSource(1, { http: 'http://:80/' }), path: 'sources[1].http', schema: { validatorOnly: 'URL host syntax is checked by new URL only' } },
  { title: 'source with neither url nor http', doc: withSource(2, {}, ['http']), path: 'sources[2]', match: /needs a 'url'/, schema: rejects },
  { title: 'source without a name', doc: withSource(1, {}, ['name']), path: 'sources[1]', match: /needs a 'name'/, schema: rejects },
  { title: 'source name with a slash', doc: withSource(1, { name: 'a/b' }), path: 'sources[1].name', schema: rejects },
  { title: 'source that is a string', doc: { ...baseDoc(), sources: [...(baseDoc()['sources'] as Doc[]), 'mit'] }, path: 'sources[3]', match: /must be an object, got string 'mit'/, schema: rejects },
  { title: 'target not absolute', doc: withTop({ target: 'srv/mirror' }), path: 'target', match: /must be an absolute path/, schema: rejects },
  { title: 'target /', doc: withTop({ target: '/' }), path: 'target', match: /must not be '\/'/, schema: rejects },
  { title: 'target //', doc: withTop({ target: '//' }), path: 'target', schema: rejects },
  { title: 'target /etc', doc: withTop({ target: '/etc' }), path: 'target', match: /system directory '\/etc'/, schema: rejects },
  { title: 'target /usr/ with a trailing slash', doc: withTop({ target: '/usr/' }), path: 'target', match: /system directory '\/usr'/, schema: rejects },
  { title: 'target /home', doc: withTop({ target: '/home' }), path: 'target', schema: rejects },
  { title: 'target with ..', doc: withTop({ target: '/srv/mirror/../../etc' }), path: 'target', match: /'\.\.'/, schema: rejects },
  { title: 'target with a . segment', doc: withTop({ target: '/srv/./mirror' }), path: 'target', schema: rejects },
  { title: 'target with a newline', doc: withTop({ target: '/srv/mirror\n' }), path: 'target', match: /control characters/, schema: rejects },
  { title: 'target is a number', doc: withTop({ target: 42 }), path: 'target', match: /must be a string, got number 42/, schema: rejects },
  { title: 'trace with ..', doc: withTop({ trace: 'zzz/../../etc/passwd' }), path: 'trace', schema: rejects },
  { title: 'trace with a leading /', doc: withTop({ trace: '/zzz/timestamp.html' }), path: 'trace', schema: rejects },
  { title: 'trace beginning with -', doc: withTop({ trace: '-timestamp' }), path: 'trace', schema: rejects },
  { title: 'trace naming a directory', doc: withTop({ trace: 'zzz/' }), path: 'trace', schema: rejects },
  { title: 'trace inside .mirrorsync', doc: withTop({ trace: '.mirrorsync/trace' }), path: 'trace', schema: rejects },
  { title: 'trace empty', doc: withTop({ trace: '' }), path: 'trace', schema: rejects },
  { title: 'sources empty', doc: withTop({ sources: [] }), path: 'sources', match: /at least one source/, schema: rejects },
  { title: 'sources not an array', doc: withTop({ sources: { master: {} } }), path: 'sources', match: /must be an array of sources, got an object/, schema: rejects },
  { title: 'sources missing', doc: { target: '/srv/x' }, path: 'sources', match: /is required/, schema: rejects },
  { title: 'priority not an integer', doc: withSource(1, { priority: 1.5 }), path: 'sources[1].priority', match: /must be an integer, got number 1.5/, schema: rejects },
  { title: 'priority a string', doc: withSource(1, { priority: '1' }), path: 'sources[1].priority', match: /must be an integer, got string '1'/, schema: rejects },
  { title: 'timeoutSeconds negative', doc: withSection('rsync', { timeoutSeconds: -1 }), path: 'rsync.timeoutSeconds', match: /must be an integer from 1 to \d+, got number -1/, schema: rejects },
  { title: 'timeoutSeconds zero (rsync would never time out)', doc: withSection('rsync', { timeoutSeconds: 0 }), path: 'rsync.timeoutSeconds', schema: rejects },
  { title: 'maxDurationSeconds past the timer limit', doc: withSection('rsync', { maxDurationSeconds: 3_000_000 }), path: 'rsync.maxDurationSeconds', schema: rejects },
  { title: 'maxDeleteFraction 0', doc: withSection('rsync', { maxDeleteFraction: 0 }), path: 'rsync.maxDeleteFraction', match: /greater than 0 and at most 1/, schema: rejects },
  { title: 'maxDeleteFraction 1.5', doc: withSection('rsync', { maxDeleteFraction: 1.5 }), path: 'rsync.maxDeleteFraction', schema: rejects },
  { title: 'retries past 10', doc: withSection('rsync', { retries: 11 }), path: 'rsync.retries', schema: rejects },
  { title: 'rsync.args not an array', doc: withSection('rsync', { args: '--checksum' }), path: 'rsync.args', schema: rejects },
  { title: 'rsync.args --rsh=sh', doc: withSection('rsync', { args: ['--checksum', '--rsh=sh'] }), path: 'rsync.args[1]', match: /^rsync\.args\[1\]: '--rsh=sh' is not allowed: it runs a remote shell$/, schema: rejects },
  { title: 'rsync.args -e', doc: withSection('rsync', { args: ['-e'] }), path: 'rsync.args[0]', match: /remote shell/, schema: rejects },
  { title: 'rsync.args -e inside a cluster', doc: withSection('rsync', { args: ['-avze'] }), path: 'rsync.args[0]', schema: rejects },
  { title: 'rsync.args --delete', doc: withSection('rsync', { args: ['--delete'] }), path: 'rsync.args[0]', match: /decides when rsync deletes/, schema: rejects },
  { title: 'rsync.args --del (alias of --delete-during)', doc: withSection('rsync', { args: ['--del'] }), path: 'rsync.args[0]', schema: rejects },
  { title: 'rsync.args --delete-excluded', doc: withSection('rsync', { args: ['--delete-excluded'] }), path: 'rsync.args[0]', schema: rejects },
  { title: 'rsync.args -n', doc: withSection('rsync', { args: ['-n'] }), path: 'rsync.args[0]', match: /--dry-run/, schema: rejects },
  { title: 'rsync.args --max-delete=5', doc: withSection('rsync', { args: ['--max-delete=5'] }), path: 'rsync.args[0]', match: /maxDeleteFraction/, schema: rejects },
  { title: 'rsync.args --ignore-errors', doc: withSection('rsync', { args: ['--ignore-errors'] }), path: 'rsync.args[0]', schema: rejects },
  { title: 'rsync.args --exclude-from=- (stdin holds the password)', doc: withSection('rsync', { args: ['--exclude-from=-'] }), path: 'rsync.args[0]', match: /stdin/, schema: rejects },
  { title: 'rsync.args --filter=merge -', doc: withSection('rsync', { args: ['--filter=merge -'] }), path: 'rsync.args[0]', schema: rejects },
  { title: 'rsync.args a non-option', doc: withSection('rsync', { args: ['--bwlimit', '1000'] }), path: 'rsync.args[1]', match: /'1000' is not an option/, schema: rejects },
  { title: 'rsync.args an option with a newline', doc: withSection('rsync', { args: ['--exclude=a\nb'] }), path: 'rsync.args[0]', match: /line breaks/, schema: rejects },
  { title: 'rsync.args a number', doc: withSection('rsync', { args: [5] }), path: 'rsync.args[0]', match: /must be a string, got number 5/, schema: rejects },
  { title: 'rsync.binary relative', doc: withSection('rsync', { binary: './rsync' }), path: 'rsync.binary', schema: rejects },
  { title: 'passwordFile relative', doc: withSource(1, { passwordFile: 'secrets/rsync' }), path: 'sources[1].passwordFile', match: /absolute path/, schema: rejects },
  { title: 'passwordFile with a password in the url', doc: withSource(1, { url: 'rsync://mirror:pw1@alt.example.org/sage/', passwordFile: '/etc/mirrorsync/alt.pass' }), path: 'sources[1].passwordFile', match: /already holds a password/, secret: 'pw1', schema: { validatorOnly: 'whether a url holds a password is decided by parseRsyncAddress' } },
  { title: 'passwordFile on a probe-only source', doc: withSource(2, { passwordFile: '/etc/mirrorsync/web.pass' }), path: 'sources[2].passwordFile', match: /only a source with a 'url'/, schema: rejects },
  { title: 'region empty', doc: withSource(2, { region: '' }), path: 'sources[2].region', schema: rejects },
  { title: 'probe.samples 0', doc: withSection('probe', { samples: 0 }), path: 'probe.samples', match: /from 1 to 20/, schema: rejects },
  { title: 'probe.samples 21', doc: withSection('probe', { samples: 21 }), path: 'probe.samples', schema: rejects },
  { title: 'probe.freshWithinSeconds negative', doc: withSection('probe', { freshWithinSeconds: -1 }), path: 'probe.freshWithinSeconds', schema: rejects },
  { title: 'probe.maxClockSkewSeconds over a day', doc: withSection('probe', { maxClockSkewSeconds: 86401 }), path: 'probe.maxClockSkewSeconds', schema: rejects },
  { title: 'rsync.cve2024Patched a string', doc: withSection('rsync', { cve2024Patched: 'yes' }), path: 'rsync.cve2024Patched', schema: rejects },
  { title: 'probe is an array', doc: withTop({ probe: [] }), path: 'probe', match: /must be an object, got an array/, schema: rejects },
  { title: 'hooks.onSuccess empty', doc: withSection('hooks', { onSuccess: [] }), path: 'hooks.onSuccess', schema: rejects },
  { title: 'hooks.onFailure with a relative command', doc: withSection('hooks', { onFailure: ['./notify.sh'] }), path: 'hooks.onFailure[0]', schema: rejects },
  { title: 'hooks.onSuccess with a NUL in an argument', doc: withSection('hooks', { onSuccess: ['/usr/bin/logger', 'a\u0000b'] }), path: 'hooks.onSuccess[1]', match: /NUL/, schema: rejects },
  { title: 'hooks.onSuccess a string', doc: withSection('hooks', { onSuccess: '/usr/bin/logger synced' }), path: 'hooks.onSuccess', schema: rejects },
];

export const GOOD_CASES: readonly GoodCase[] = [
  { title: 'the base document', doc: baseDoc() },
  { title: 'only sources', doc: { sources: [{ name: 'm', url: 'host::m', master: true }] } },
  { title: 'an IPv6 master', doc: { sources: [{ name: 'm', url: 'rsync://[::1]:8873/sage/', master: true }] } },
  { title: 'user@host::mod/sub', doc: withSource(1, { url: 'user@host.example.org::mod/sub' }) },
  { title: 'an rsync url with a password', doc: withSource(1, { url: 'rsync://mirror:pw@alt.example.org:8873/sage/sub/' }) },
  { title: 'a passwordFile', doc: withSource(1, { url: 'mirror@alt.example.org::sage', passwordFile: '/etc/mirrorsync/alt.pass' }) },
  { title: 'http without a trailing slash', doc: withSource(2, { http: 'https://web.example.org/sage' }) },
  { title: 'http with a port and an upper-case scheme', doc: withSource(2, { http: 'HTTP://web.example.org:8080/' }) },
  { title: 'target with trailing slashes', doc: withTop({ target: '/srv/mirror/sage//' }) },
  { title: 'target under /tmp', doc: withTop({ target: '/tmp/x' }) },
  { title: 'target /etc/mirror (a subdirectory)', doc: withTop({ target: '/etc/mirror' }) },
  { title: 'no target, no trace', doc: { sources: baseDoc()['sources'] } },
  { title: 'an option that only begins like a reserved one', doc: withSection('rsync', { args: ['--timeouts', '--server-side', '--configure', '--log-file-format=%n', '--delay-updates', '--no-motd'] }) },
  { title: 'every key set', doc: {
    $schema: './sources.schema.json', name: 'sage.mirror-1', target: '/srv/mirror/sage', trace: 'project/trace/master',
    sources: [{ name: 'master', url: 'rsync://m.example.org/sage/', http: 'http://m.example.org/', master: true, priority: -1, region: 'US' }],
    rsync: { args: ['--checksum', '--hard-links', '-H', '--exclude=*.tmp', '--bwlimit=1000', '--ipv4', '-6', '-avz', '--delay-updates', '--exclude-from=/etc/mirrorsync/excludes', '--filter=merge /etc/mirrorsync/filter', '--no-motd'],
      timeoutSeconds: 60, connectTimeoutSeconds: 5, maxDurationSeconds: 3600, maxDeleteFraction: 1, retries: 0, retryDelaySeconds: 0, binary: '/usr/bin/rsync', cve2024Patched: true, keepUnsafeLinks: true },
    probe: { timeoutMs: 2000, samples: 20, freshWithinSeconds: 0, maxClockSkewSeconds: 0 },
    hooks: { onSuccess: ['logger', '-t', 'mirrorsync', 'synced'], onFailure: ['/usr/local/bin/alert', '--to=ops'] },
  } },
];
