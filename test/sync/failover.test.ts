import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { syncWithFailover, type AttemptResult } from '../../src/sync/failover.js';
import type { RsyncOutcomeClass } from '../../src/sync/rsync-exit.js';

type Script = Record<string, readonly (RsyncOutcomeClass | 'ok')[]>;

/** Each source answers its attempts in the scripted order; records every attempt made. */
function scripted(script: Script) {
  const calls: string[] = [];
  const attempt = async (source: string, attemptNumber: number): Promise<AttemptResult<string>> => {
    calls.push(`${source}#${attemptNumber}`);
    const answer = script[source]?.[attemptNumber - 1] ?? 'permanent';
    if (answer === 'ok') return { ok: true, value: `from ${source}`, exitCode: 0, bytesReceived: 10 };
    return { ok: false, bytesReceived: 1, outcome: { class: answer, exitCode: 30, reason: `${answer} failure` } };
  };
  return { calls, attempt };
}

const run = (script: Script, retries: number) => {
  const { calls, attempt } = scripted(script);
  const result = syncWithFailover({ sources: Object.keys(script), attempt, retries, retryDelayMs: 0, signal: new AbortController().signal });
  return { calls, result };
};

describe('failover', () => {
  test('a source that works at once is tried once', async () => {
    const { calls, result } = run({ alt: ['ok'], master: ['ok'] }, 2);
    const done = await result;
    assert.deepEqual(calls, ['alt#1']);
    assert.equal(done.value, 'from alt');
    assert.deepEqual(done.tried, [{ name: 'alt', exitCode: 0, error: null, attempts: 1, bytesReceived: 10 }]);
  });

  test('a transient failure is retried on the same source, up to the retries, then the next source is tried', async () => {
    const recovered = run({ alt: ['transient', 'transient', 'ok'] }, 2);
    assert.equal((await recovered.result).value, 'from alt');
    assert.deepEqual(recovered.calls, ['alt#1', 'alt#2', 'alt#3']);

    const exhausted = run({ alt: ['transient', 'transient', 'transient'], master: ['ok'] }, 2);
    const done = await exhausted.result;
    assert.deepEqual(exhausted.calls, ['alt#1', 'alt#2', 'alt#3', 'master#1']);
    assert.deepEqual(done.tried.map((entry) => [entry.name, entry.attempts, entry.bytesReceived]), [['alt', 3, 3], ['master', 1, 10]]);
  });

  test('retries 0: one attempt per source', async () => {
    const { calls, result } = run({ alt: ['transient'], master: ['ok'] }, 0);
    assert.equal((await result).source, 'master');
    assert.deepEqual(calls, ['alt#1', 'master#1']);
  });

  test('a permanent failure moves on at once, also after a retried transient one', async () => {
    const { calls, result } = run({ alt: ['transient', 'permanent'], master: ['ok'] }, 2);
    assert.equal((await result).source, 'master');
    assert.deepEqual(calls, ['alt#1', 'alt#2', 'master#1']);
  });

  test('a local failure ends the run without failover, at the first attempt or a retry', async () => {
    for (const script of [{ alt: ['local'], master: ['ok'] }, { alt: ['transient', 'local'], master: ['ok'] }] as const) {
      const { calls, result } = run(script, 2);
      await assert.rejects(result, { code: 'sync.local' });
      assert.equal(calls.includes('master#1'), false);
    }
  });

  test('every source failing is sync.failed, with each one tried', async () => {
    const { result } = run({ alt: ['transient', 'transient'], master: ['permanent'] }, 1);
    await assert.rejects(result, (error: { code: string; details: { tried: unknown[] } }) => error.code === 'sync.failed' && error.details.tried.length === 2);
  });
});
