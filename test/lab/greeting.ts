import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

type Attempt = { ok: true } | { ok: false; retry: boolean; reason: string };

// One connection: succeed on an `@RSYNCD:` greeting, retry on refusal (not listening yet).
function tryGreeting(port: number, timeoutMs: number, signal: AbortSignal): Promise<Attempt> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const finish = (attempt: Attempt): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(attempt);
    };
    const onAbort = (): void => finish({ ok: false, retry: false, reason: String(signal.reason) });
    const timer = setTimeout(() => finish({ ok: false, retry: true, reason: 'no greeting in time' }), timeoutMs);
    signal.addEventListener('abort', onAbort);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('@RSYNCD:')) finish({ ok: true });
      else if (received.length > 4096) finish({ ok: false, retry: false, reason: `not an rsync daemon: ${JSON.stringify(received.slice(0, 80))}` });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, retry: true, reason: error.code ?? error.message }));
    socket.on('end', () => finish({ ok: false, retry: true, reason: 'closed before the greeting' }));
  });
}

/**
 * Resolves once 127.0.0.1:port answers with the rsync daemon greeting. Rejects at the deadline,
 * or as soon as `gaveUp` aborts (the daemon exited during start-up), with its reason as message.
 */
export async function waitForRsyncGreeting(port: number, deadlineMs: number, gaveUp: AbortSignal): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (gaveUp.aborted) throw new Error(String(gaveUp.reason));
    const attempt = await tryGreeting(port, Math.max(50, Math.min(1000, deadline - Date.now())), gaveUp);
    if (attempt.ok) return;
    if (!attempt.retry) throw new Error(attempt.reason);
    if (Date.now() >= deadline) throw new Error(`no @RSYNCD greeting on port ${port} within ${deadlineMs} ms (${attempt.reason})`);
    await sleep(25);
  }
}
