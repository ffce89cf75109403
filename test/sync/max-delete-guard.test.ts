import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finishRunStatus, startRunStatus } from '../../src/report/status-file.js';
import { maxDeleteStopFor, repeatsMaxDeleteStop } from '../../src/sync/max-delete-guard.js';

const publication = { at: new Date('2026-11-24T01:00:00Z'), identity: '10.8 / abc' };

test('a stop at the cap refuses the same publication again, at the same or a smaller cap', () => {
  const stop = maxDeleteStopFor(publication, 40);
  assert.equal(repeatsMaxDeleteStop(stop, publication, 40), true);
  assert.equal(repeatsMaxDeleteStop(stop, publication, 10), true);
  assert.equal(repeatsMaxDeleteStop(stop, publication, 41), false, 'a raised cap is the operator accepting the deletions');
  assert.equal(repeatsMaxDeleteStop(stop, { at: new Date('2026-11-24T02:00:00Z') }, 40), false, 'a new publication is judged afresh');
  assert.equal(repeatsMaxDeleteStop(stop, { at: publication.at, identity: '10.8 / def' }, 40), false);
  assert.equal(repeatsMaxDeleteStop(undefined, publication, 40), false);
  assert.equal(repeatsMaxDeleteStop(stop, null, 40), false);
});

test('the stop is carried across failed runs in status.json and cleared by a sync', () => {
  const stop = maxDeleteStopFor(publication, 40);
  const start = (previous: Parameters<typeof startRunStatus>[0]) => startRunStatus(previous, { mode: 'incremental', startedAt: new Date(), pid: 1 });
  const stopped = finishRunStatus(start(null), { result: 'failed', endedAt: new Date(), maxDeleteStop: stop });
  assert.deepEqual(stopped.maxDeleteStop, stop);
  const failedAgain = finishRunStatus(start(stopped), { result: 'failed', endedAt: new Date() });
  assert.deepEqual(failedAgain.maxDeleteStop, stop);
  const synced = finishRunStatus(start(failedAgain), { result: 'synced', endedAt: new Date() });
  assert.equal(synced.maxDeleteStop, undefined);
});
