import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyRsyncExit, type RsyncEnd, type RsyncOutcomeClass } from '../../src/sync/rsync-exit.js';

const MAX_DELETE_LINE = 'Deletions stopped due to --max-delete limit (2 skipped)';
const MAX_DELETE_SUMMARY = 'rsync error: the --max-delete limit stopped deletions (code 25) at main.c(1956) [generator=3.5.0]';
const IO_ERROR_LINE = 'IO error encountered -- skipping file deletion';
const startup = (text: string): string[] => [text, 'rsync error: error starting client-server protocol (code 5) at main.c(1954) [Receiver=3.5.0]'];

interface Row {
  readonly name: string;
  readonly input: Partial<RsyncEnd>;
  readonly expected: RsyncOutcomeClass;
  readonly deletionsSkipped?: true;
  readonly reasonIncludes?: string;
}

// Every row of FIELD-NOTES' exit-code policy, with the stderr rsync 3.5.0 really prints.
const rows: readonly Row[] = [
  { name: '0 is success', input: { exitCode: 0 }, expected: 'success', reasonIncludes: 'rsync exit 0' },
  { name: '24 (vanished files) is success', input: { exitCode: 24 }, expected: 'success' },
  { name: '24 with the max-delete line is maxDelete', input: { maxDelete: 2, deletedFiles: 2, exitCode: 24, stderrLines: [MAX_DELETE_LINE] }, expected: 'maxDelete', reasonIncludes: '2 skipped' },
  { name: '24 with the IO-error line is transient, deletions skipped', input: { exitCode: 24, stderrLines: [IO_ERROR_LINE] }, expected: 'transient', deletionsSkipped: true },
  { name: '25 is maxDelete', input: { maxDelete: 2, deletedFiles: 2, exitCode: 25, stderrLines: [MAX_DELETE_LINE, MAX_DELETE_SUMMARY] }, expected: 'maxDelete' },
  { name: '25 without the line is still maxDelete', input: { maxDelete: 2, deletedFiles: 2, exitCode: 25 }, expected: 'maxDelete' },
  { name: '23 with the max-delete line is maxDelete', input: { maxDelete: 2, deletedFiles: 2, exitCode: 23, stderrLines: ['rsync: [sender] read errors mapping "x": Input/output error (5)', MAX_DELETE_LINE] }, expected: 'maxDelete' },
  { name: '0 with the max-delete line is maxDelete', input: { maxDelete: 2, deletedFiles: 2, exitCode: 0, stderrLines: [MAX_DELETE_LINE] }, expected: 'maxDelete' },
  { name: '23 with the IO-error line is transient, deletions skipped', input: { exitCode: 23, stderrLines: ['rsync: [sender] opendir "a" (in m) failed: Permission denied (13)', IO_ERROR_LINE] }, expected: 'transient', deletionsSkipped: true, reasonIncludes: 'skip deletions' },
  { name: '23 (missing sub-path on the source) is transient', input: { exitCode: 23, stderrLines: ['rsync: [sender] change_dir "nosuch" (in m) failed: No such file or directory (2)'] }, expected: 'transient', reasonIncludes: 'change_dir' },
  { name: '23 from our own side refusing writes is local', input: { exitCode: 23, stderrLines: ['rsync: [receiver] mkstemp "/srv/m/c/.g.a5Vj6n" failed: Permission denied (13)'] }, expected: 'local', reasonIncludes: 'mkstemp' },
  { name: '23 from our disk filling up is local', input: { exitCode: 23, stderrLines: ['rsync: [receiver] write failed on "/srv/m/big": No space left on device (28)'] }, expected: 'local' },
  { name: '23 from the sender refusing a file is transient', input: { exitCode: 23, stderrLines: ['rsync: [sender] send_files failed to open "x" (in m): Permission denied (13)'] }, expected: 'transient' },
  { name: '5 max connections is transient', input: { exitCode: 5, stderrLines: startup('@ERROR: max connections (10) reached -- try again later') }, expected: 'transient', reasonIncludes: 'max connections' },
  { name: '5 no greeting is transient', input: { exitCode: 5, stderrLines: startup('rsync: did not see server greeting') }, expected: 'transient' },
  { name: '5 unknown module is permanent', input: { exitCode: 5, stderrLines: startup("@ERROR: Unknown module 'zz'") }, expected: 'permanent', reasonIncludes: 'Unknown module' },
  { name: '5 auth failed is permanent', input: { exitCode: 5, stderrLines: startup('@ERROR: auth failed on module auth') }, expected: 'permanent' },
  { name: '5 chdir failed is permanent', input: { exitCode: 5, stderrLines: startup('@ERROR: chdir failed') }, expected: 'permanent' },
  { name: '5 from an HTTP server is permanent', input: { exitCode: 5, stderrLines: startup('rsync: server sent "HTTP/1.1 400 Bad Request" rather than greeting') }, expected: 'permanent' },
  { name: '5 with another @ERROR is permanent', input: { exitCode: 5, stderrLines: startup('@ERROR: access denied to m from localhost (127.0.0.1)') }, expected: 'permanent' },
  { name: '5 without any explanation is transient', input: { exitCode: 5, stderrLines: startup('rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]') }, expected: 'transient' },
  ...[10, 12, 30, 35].map((code): Row => ({ name: `${code} is transient`, input: { exitCode: code }, expected: 'transient' })),
  { name: '35 says connection timed out', input: { exitCode: 35 }, expected: 'transient', reasonIncludes: 'rsync exit 35: connection timed out' },
  ...[2, 3, 4].map((code): Row => ({ name: `${code} is permanent`, input: { exitCode: code }, expected: 'permanent' })),
  ...[1, 11, 13, 14, 22].map((code): Row => ({ name: `${code} is local`, input: { exitCode: code }, expected: 'local' })),
  { name: '20 after our watchdog killed it is transient', input: { exitCode: 20, killedByWatchdog: true }, expected: 'transient', reasonIncludes: 'time limit' },
  { name: '20 after a cancel is interrupted', input: { exitCode: 20, canceled: true }, expected: 'interrupted', reasonIncludes: 'canceled' },
  { name: '20 from someone else is transient', input: { exitCode: 20 }, expected: 'transient' },
  { name: 'a signal after a cancel is interrupted', input: { exitCode: null, signal: 'SIGTERM', canceled: true }, expected: 'interrupted' },
  { name: 'a signal from our watchdog is transient', input: { exitCode: null, signal: 'SIGKILL', killedByWatchdog: true }, expected: 'transient' },
  { name: 'a signal from elsewhere is transient', input: { exitCode: null, signal: 'SIGKILL' }, expected: 'transient', reasonIncludes: 'killed by SIGKILL' },
  { name: 'a cancel that lost the race to exit 0 is success', input: { exitCode: 0, canceled: true }, expected: 'success' },
  { name: 'a cancel wins over a local error', input: { exitCode: 11, canceled: true }, expected: 'interrupted' },
  { name: 'an unknown code is transient', input: { exitCode: 99 }, expected: 'transient', reasonIncludes: 'unknown exit status' },
  { name: '6 (daemon log) is transient', input: { exitCode: 6 }, expected: 'transient' },
];

// rsync's sentences where rsync did not say them: in file names (rsync quotes names in its own
// lines and escapes control characters, so a name never starts a line), and in lines a patched
// sender pushes through rsync's message channel (exact, but not backed by the pass's own facts).
const NAMED = (sentence: string) => `rsync: [sender] send_files failed to open "pub/${sentence}" (in sage): Permission denied (13)`;
const hostileRows: readonly Row[] = [
  { name: 'a file named like the max-delete sentence, exit 23', input: { maxDelete: 5, exitCode: 23, stderrLines: [NAMED(MAX_DELETE_LINE)] }, expected: 'transient' },
  { name: 'a name holding a newline then the sentence (rsync escapes it)', input: { maxDelete: 5, exitCode: 23, stderrLines: [NAMED(`x\\#012${MAX_DELETE_LINE}`)] }, expected: 'transient' },
  { name: 'the exact sentence sent by the source, nothing deleted, exit 23', input: { maxDelete: 5, deletedFiles: 0, exitCode: 23, stderrLines: [MAX_DELETE_LINE] }, expected: 'transient' },
  { name: 'the exact sentence sent by the source, exit 0: the pass is judged by its code', input: { maxDelete: 5, deletedFiles: 1, exitCode: 0, stderrLines: [MAX_DELETE_LINE] }, expected: 'success' },
  { name: 'exit 25 forced by the sender, nothing deleted', input: { maxDelete: 5, deletedFiles: 0, exitCode: 25, stderrLines: [MAX_DELETE_LINE] }, expected: 'transient', reasonIncludes: "not rsync's own stop" },
  { name: 'exit 25 on an empty mirror (cap 0)', input: { maxDelete: 0, deletedFiles: 0, exitCode: 25 }, expected: 'transient' },
  { name: 'exit 25 on the trace pass (no cap)', input: { exitCode: 25, stderrLines: [MAX_DELETE_LINE] }, expected: 'transient' },
  { name: 'the sentence with words after it', input: { maxDelete: 2, deletedFiles: 2, exitCode: 24, stderrLines: [`${MAX_DELETE_LINE} (pub/x)`] }, expected: 'success' },
  { name: 'a file named like the IO-error sentence does not skip deletions', input: { exitCode: 24, stderrLines: [NAMED(IO_ERROR_LINE)] }, expected: 'success' },
  { name: 'a file named like a daemon refusal, exit 5', input: { exitCode: 5, stderrLines: startup(NAMED("@ERROR: Unknown module 'sage'")) }, expected: 'transient' },
  { name: 'a file named like max connections, exit 5, is no busy daemon', input: { exitCode: 5, stderrLines: startup(NAMED('@ERROR: max connections (1) reached')) }, expected: 'transient', reasonIncludes: 'send_files' },
];

describe('classifyRsyncExit with hostile text', () => {
  for (const row of hostileRows) {
    test(row.name, () => {
      const outcome = classifyRsyncExit({ exitCode: null, signal: null, stderrLines: [], ...row.input });
      assert.equal(outcome.class, row.expected, outcome.reason);
      assert.equal(outcome.deletionsSkipped, row.deletionsSkipped);
      if (row.reasonIncludes !== undefined) assert.ok(outcome.reason.includes(row.reasonIncludes), outcome.reason);
    });
  }
});

describe('classifyRsyncExit', () => {
  for (const row of rows) {
    test(row.name, () => {
      const outcome = classifyRsyncExit({ exitCode: null, signal: null, stderrLines: [], ...row.input });
      assert.equal(outcome.class, row.expected, outcome.reason);
      assert.equal(outcome.exitCode, row.input.exitCode ?? null);
      assert.equal(outcome.deletionsSkipped, row.deletionsSkipped);
      assert.match(outcome.reason, /^rsync /);
      if (row.reasonIncludes !== undefined) assert.ok(outcome.reason.includes(row.reasonIncludes), outcome.reason);
    });
  }

  test('the reason quotes the @ERROR line, not the "rsync error:" summary', () => {
    const outcome = classifyRsyncExit({ exitCode: 5, signal: null, stderrLines: startup("@ERROR: Unknown module 'zz'") });
    assert.equal(outcome.reason, "rsync exit 5: error starting the client-server protocol (@ERROR: Unknown module 'zz')");
  });

  test('a very long stderr line is shortened in the reason', () => {
    const outcome = classifyRsyncExit({ exitCode: 12, signal: null, stderrLines: [`rsync: ${'x'.repeat(1000)}`] });
    assert.ok(outcome.reason.length < 300, outcome.reason);
  });
});
