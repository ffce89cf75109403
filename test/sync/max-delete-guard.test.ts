import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finishRunStatus, startRunStatus } from '../../src/report/status-file.js';
import { maxDeleteStopFor, repeatsMaxDeleteStop } from '../../src/sync/max-delete-guard.js';

const publication = { at: new Date('2026-11-24T01:00:00Z'), identity: '10.8 / abc' };

test('a stop at the cap refuses the same publication again until the fraction is raised', () => {
  const stop = maxDeleteStopFor(publication, 40, 0.2);
  assert.equal(repeatsMaxDeleteStop(stop, publication, 0.2), true, 'the same fraction, even if the tree grew and the cap with it');
  assert.equal(repeatsMaxDeleteStop(stop, publication, 0.1), true);
  assert.equal(repeatsMaxDeleteStop(stop, publication, 0.5), false, 'a raised fraction is the operator accepting the deletions');
  assert.equal(repeatsMaxDeleteStop(stop, { at: new Date('2026-11-24T02:00:00Z') }, 0.2), false, 'a new publication is judged afresh');
  assert.equal(repeatsMaxDeleteStop(stop, { at: publication.at, identity: '10.8 / def' }, 0.2), false);
  assert.equal(repeatsMaxDeleteStop(undefined, publication, 0.2), false);
  assert.equal(repeatsMaxDeleteStop(stop, null, 0.2), false);
});

test('the stop is carried across failed runs in status.json and cleared by a sync', () => {
  const stop = maxDeleteStopFor(publication, 40, 0.2);
  const start = (previous: Parameters<typeof startRunStatus>[0]) => startRunStatus(previous, { mode: 'incremental', startedAt: new Date(), pid: 1 });
  const stopped = finishRunStatus(start(null), { result: 'failed', endedAt: new Date(), maxDeleteStop: stop });
  assert.deepEqual(stopped.maxDeleteStop, stop);
  const failedAgain = finishRunStatus(start(stopped), { result: 'failed', endedAt: new Date() });
  assert.deepEqual(failedAgain.maxDeleteStop, stop);
  const synced = finishRunStatus(start(failedAgain), { result: 'synced', endedAt: new Date() });
  assert.equal(synced.maxDeleteStop, undefined);
});
