import assert from 'node:assert/strict';
import { test } from 'node:test';
import { moduleRequests, peakConcurrency, transfers } from './support.js';

// The overlap check of the limits tests must be able to fail: two interleaved transfers count 2.
const line = (pid: number, text: string) => `2026/11/29 20:00:00 [${pid}] ${text}`;
const transfer = (pid: number) => [line(pid, 'connect from localhost (127.0.0.1)'), line(pid, 'rsync on m/a/ from localhost (127.0.0.1)'), line(pid, 'send localhost [127.0.0.1] m () a/f1 10')];
const end = (pid: number) => line(pid, 'sent 100 bytes  received 20 bytes  total size 10');

test('the daemon-log reader counts transfers open at once, and ignores the daemon itself and trace-only probes', () => {
  const start = line(1, 'rsyncd version 3.5.0 starting, listening on port 1');
  const probe = [line(9, 'connect from localhost (127.0.0.1)'), line(9, 'send localhost [127.0.0.1] m () a/zzz/timestamp.html 10'), end(9)];
  const serial = [start, ...transfer(2), end(2), ...probe, ...transfer(3), end(3)].join('\n');
  const overlapping = [start, ...transfer(2), ...transfer(3), end(2), end(3)].join('\n');
  assert.equal(transfers(serial).length, 2);
  assert.equal(peakConcurrency(transfers(serial)), 1);
  assert.equal(peakConcurrency(transfers(overlapping)), 2);
  assert.equal(moduleRequests(serial).length, 2);
});
