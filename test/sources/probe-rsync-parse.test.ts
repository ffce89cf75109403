import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyRsyncFailure } from '../../src/sources/probe-rsync-run.js';
import { buildListArgs, buildTraceReadArgs, freshnessFromListing, parseListLine } from '../../src/sources/probe-trace-rsync.js';

describe('parseListLine reads rsync --list-only output (TZ=UTC)', () => {
  test('with and without thousands separators', () => {
    assert.deepEqual(parseListLine('-rw-r--r--         20,000,000 2026/11/24 01:58:29 big.iso'), {
      name: 'big.iso', type: 'file', size: 20_000_000, mtime: new Date('2026-11-24T01:58:29Z'),
    });
    assert.deepEqual(parseListLine('drwxr-xr-x        4096 2026/11/24 02:55:20 .'), {
      name: '.', type: 'directory', size: 4096, mtime: new Date('2026-11-24T02:55:20Z'),
    });
  });

  test('symlinks, names with spaces and escaped bytes', () => {
    assert.equal(parseListLine('lrwxrwxrwx           5 2026/11/24 02:55:20 link')?.type, 'symlink');
    assert.equal(parseListLine('-rw-r--r--           0 2026/11/24 02:55:20  two  spaces')?.name, ' two  spaces');
    assert.equal(parseListLine('-rw-r--r--           0 2026/11/24 02:55:20 we"ird\\#012name')?.name, 'we"ird\nname');
    // In the C locale a UTF-8 name is printed byte by byte.
    assert.equal(parseListLine('-rw-r--r--           0 2026/11/24 02:55:20 caf\\#303\\#251')?.name, 'café');
  });

  test('anything else is not an entry', () => {
    assert.equal(parseListLine(''), undefined);
    assert.equal(parseListLine('Welcome to the mirror'), undefined);
    assert.equal(parseListLine('receiving incremental file list'), undefined);
  });
});

describe('freshnessFromListing', () => {
  const at = (iso: string) => new Date(iso);
  test('the newest entry wins; . and .mirrorsync do not count', () => {
    const result = freshnessFromListing([
      { name: '.', type: 'directory', size: 0, mtime: at('2030-01-01T00:00:00Z') },
      { name: '.mirrorsync', type: 'directory', size: 0, mtime: at('2029-01-01T00:00:00Z') },
      { name: 'a', type: 'file', size: 1, mtime: at('2024-01-02T00:00:00Z') },
      { name: 'b', type: 'directory', size: 1, mtime: at('2024-01-03T00:00:00Z') },
    ]);
    assert.deepEqual(result, { at: at('2024-01-03T00:00:00Z') });
  });

  test("a listing of '.' alone is empty", () => {
    const result = freshnessFromListing([{ name: '.', type: 'directory', size: 0, mtime: at('2024-01-01T00:00:00Z') }]);
    assert.deepEqual(result, { failure: { kind: 'empty', message: "the listing holds nothing but '.'" } });
  });
});

describe('classifyRsyncFailure', () => {
  const cases: ReadonlyArray<readonly [string, number | null, string, string, string]> = [
    ['unknown module', 5, "@ERROR: Unknown module 'nomod'\nrsync error: error starting client-server protocol (code 5)", 'refused', "Unknown module 'nomod'"],
    ['auth failed', 5, 'Password: @ERROR: auth failed on module sec\n', 'refused', 'auth failed on module sec'],
    ['max connections', 5, '@ERROR: max connections (2) reached -- try again later\n', 'refused', 'max connections (2) reached -- try again later'],
    ['missing trace', 23, 'rsync: [sender] link_stat "nope" (in tree) failed: No such file or directory (2)\n', 'trace-missing', 'the trace file does not exist on the source'],
    ['connection refused', 10, 'rsync: [Receiver] failed to connect to 127.0.0.1 (127.0.0.1): Connection refused (111)\n', 'unreachable', 'connection refused'],
    ['unknown host', 10, 'rsync: getaddrinfo: nowhere.invalid 873: Name or service not known\n', 'unreachable', 'host not found'],
    ['not a daemon', 5, 'rsync: server sent "HTTP/1.1 400 Bad Request" rather than greeting\n', 'refused', 'not an rsync daemon: rsync: server sent "HTTP/1.1 400 Bad Request" rather than greeting'],
    ['closed stream', 12, 'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]\n', 'unreachable', 'rsync exited with code 12: rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]'],
  ];
  for (const [name, code, stderr, kind, message] of cases) {
    test(name, () => assert.deepEqual(classifyRsyncFailure(code, stderr), { kind, message }));
  }
});

describe('rsync probe arguments', () => {
  test('a password travels on stdin: argv only says --password-file=-', () => {
    const args = buildTraceReadArgs('rsync://alice@127.0.0.1:8873/sec/trace', '/tmp/x/trace', true);
    assert.deepEqual(args, ['--no-motd', '--times', '--copy-links', '--max-size=65536', '--password-file=-', 'rsync://alice@127.0.0.1:8873/sec/trace', '/tmp/x/trace']);
    assert.ok(!buildTraceReadArgs('rsync://h/m/t', '/d', false).some((arg) => arg.startsWith('--password')));
  });

  test('no rsync timeout flags: the probe deadline kills rsync instead', () => {
    const all = [...buildTraceReadArgs('rsync://h/m/t', '/d', false), ...buildListArgs('rsync://h/m', false)];
    assert.ok(!all.some((arg) => arg.startsWith('--timeout') || arg.startsWith('--contimeout')));
  });

  test('a listing lists the inside of the folder', () => {
    assert.deepEqual(buildListArgs('rsync://h/m', false), ['--no-motd', '--list-only', '--no-h', 'rsync://h/m/']);
  });
});
