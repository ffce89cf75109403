import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addStats, emptyStats, foldErrorLine, foldStatsLine } from '../../src/sync/rsync-stats.js';
import { parseProgress } from '../../src/sync/progress.js';
import { readPassStderr, readPassStdout } from '../../src/sync/rsync-output.js';
import { splitSegments } from '../../src/util/split-segments.js';

test('--stats lines fold into figures; other lines are ignored', () => {
  const stats = emptyStats();
  for (const line of [
    'Number of files: 1,234 (reg: 1,000, dir: 234)',
    'Number of deleted files: 7',
    'Number of regular files transferred: 56',
    'Total bytes sent: 1,024',
    'Total bytes received: 9,876,543',
    'Total file size: 123,456,789 bytes',
    '>f+++++++++ Total bytes received: 5 (a file name, not a stats line)',
  ]) foldStatsLine(stats, line);
  assert.deepEqual(stats, { bytesReceived: 9_876_543, bytesSent: 1024, filesTransferred: 56, fileCount: 1234, deletedFiles: 7, totalFileSize: 123_456_789 });
});

test("a failed pass's 'bytes received so far' counts as received", () => {
  const stats = emptyStats();
  foldErrorLine(stats, 'rsync: connection unexpectedly closed (506039 bytes received so far) [receiver]');
  foldErrorLine(stats, 'rsync error: error in rsync protocol data stream (code 12) at io.c(232) [receiver=3.5.0]');
  assert.equal(stats.bytesReceived, 506_039);
});

test('adding passes keeps the largest file list: a trace pass lists one file', () => {
  const total = emptyStats();
  addStats(total, { ...emptyStats(), fileCount: 112, bytesReceived: 10, totalFileSize: 5_000 });
  addStats(total, { ...emptyStats(), fileCount: 1, bytesReceived: 5, totalFileSize: 20 });
  assert.equal(total.fileCount, 112);
  assert.equal(total.totalFileSize, 5_000);
  assert.equal(total.bytesReceived, 15);
});

test('progress2 updates are split out of the carriage-returned output, whatever the chunking', () => {
  assert.deepEqual(parseProgress('      1,234,567  45%    1.23MB/s    0:00:12 (xfr#3, to-chk=10/20)'), { bytes: 1_234_567, percent: 45, rate: '1.23MB/s', bytesPerSecond: 1.23 * 1024 ** 2, eta: '0:00:12' });
  const output = '\r        500  10%  1.00kB/s    0:00:05\r      1,000  20%  2.00kB/s    0:00:04  \r      1,500 100%  2.00kB/s    0:00:00 (xfr#1, to-chk=0/2)\n\nNumber of files: 2 (reg: 1, dir: 1)\nTotal bytes received: 1,700\n';
  for (const size of [1, 7, output.length]) {
    const stats = emptyStats();
    const seen: number[] = [];
    const reader = readPassStdout(stats, (progress) => seen.push(progress.percent));
    for (let at = 0; at < output.length; at += size) reader.push(output.slice(at, at + size));
    reader.end();
    assert.deepEqual(seen, [10, 20, 100], `chunks of ${size}`);
    assert.equal(stats.fileCount, 2);
    assert.equal(stats.bytesReceived, 1700);
  }
});

test('stderr keeps only its last lines, and a line without an end is cut, never grown without bound', () => {
  const lines: string[] = [];
  const reader = readPassStderr(emptyStats(), lines, 3);
  reader.push('one\ntwo\nthree\nfour\n');
  reader.push('x'.repeat(100_000));
  reader.push('x'.repeat(100_000));
  reader.end();
  assert.deepEqual(lines.slice(0, 2), ['three', 'four']);
  assert.equal(lines.length, 3);
  assert.ok((lines[2]?.length ?? 0) <= 16 * 1024);
  const pieces: string[] = [];
  const splitter = splitSegments((segment) => pieces.push(segment));
  splitter.push('a\r\nb');
  splitter.push('c\rd');
  splitter.end();
  assert.deepEqual(pieces, ['a', 'bc', 'd']);
});
