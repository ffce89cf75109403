import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls until check() is true; throws naming `what` after timeoutMs. Wait for a fact that proves
 * the state (a file, a live process, a status field), never for a count already true. timeoutMs
 * only guards against a hang: keep it many times what the wait takes on a busy machine.
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
