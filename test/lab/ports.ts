import { createServer } from 'node:net';

// Binding port 0 lets the kernel pick an unused port; it is free again once closed. Another
// process may take it before the caller binds it, so callers that bind later retry on EADDRINUSE.
function bindAndRelease(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
        else resolve(address.port);
      });
    });
  });
}

/** A port on 127.0.0.1 that nothing listens on right now, for a server to bind. */
export function freePort(): Promise<number> {
  return bindAndRelease();
}

/** A port on 127.0.0.1 where nothing listens: connecting gives ECONNREFUSED. */
export function closedPort(): Promise<number> {
  return bindAndRelease();
}

/** Starts a server on a free port of 127.0.0.1 and returns the port. */
export async function listenOnLoopback(server: import('node:net').Server, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${what} has no TCP address`);
  return address.port;
}
