import { createServer, type Socket } from 'node:net';
import { assertUsable, onDispose, type Lab } from './lab.js';

export interface StallServer {
  port: number;
  /** rsync://127.0.0.1:PORT/sage/ : an rsync client waits forever for the greeting. */
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that accepts every connection and never sends a byte. */
export async function startStallServer(lab: Lab): Promise<StallServer> {
  assertUsable(lab);
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined); // a client that resets is not our failure
    socket.on('close', () => sockets.delete(socket));
  });
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('stall server has no TCP address');
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= new Promise<void>((resolve) => {
      unregister();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }));
  const unregister = onDispose(lab, stop);
  return {
    port: address.port,
    url: `rsync://127.0.0.1:${address.port}/sage/`,
    connections: () => accepted,
    stop,
  };
}
