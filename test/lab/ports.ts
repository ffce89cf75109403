import { connect, createServer, type Server, type Socket } from 'node:net';
import { assertUsable, onDispose, type Lab } from './lab.js';

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

/**
 * A port on 127.0.0.1 where nothing listens (connecting gives ECONNREFUSED) and nothing else can
 * listen until the lab is disposed. A released port would be free for any concurrent test, on
 * this machine, to bind: a lab daemon there would turn a dead source into a live one. Node cannot
 * bind a TCP socket without listening, so the port is the local end of a connection the lab
 * keeps open: it is bound (a bind to it fails with EADDRINUSE) and it has no listener.
 */
export async function closedPort(lab: Lab): Promise<number> {
  assertUsable(lab);
  const accepted = new Set<Socket>();
  const server = createServer((socket) => {
    accepted.add(socket);
    socket.on('error', () => undefined);
  });
  server.unref();
  await listenOnLoopback(server, 'closed-port holder');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('closed-port holder has no TCP address');
  const client = connect({ host: '127.0.0.1', port: address.port });
  client.unref();
  client.on('error', () => undefined);
  const release = (): Promise<void> =>
    new Promise<void>((resolve) => {
      client.destroy();
      for (const socket of accepted) socket.destroy();
      server.close(() => resolve());
    });
  onDispose(lab, release);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  if (client.localPort === undefined) throw new Error('closed-port holder has no local port');
  return client.localPort;
}

/** Starts a server on a free port of 127.0.0.1 and returns the port. */
export async function listenOnLoopback(server: Server, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${what} has no TCP address`);
  return address.port;
}
