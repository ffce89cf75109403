import { createServer, type Socket } from 'node:net';
import { assertUsable, onDispose, type Lab } from './lab.js';
import { listenOnLoopback } from './ports.js';

export interface StallServer {
  port: number;
  /** rsync://127.0.0.1:PORT/MODULE/ (the lab's module): an rsync client waits forever for the greeting. */
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
  const listeningPort = await listenOnLoopback(server, 'stall server');
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= new Promise<void>((resolve) => {
      unregister();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }));
  const unregister = onDispose(lab, stop);
  return {
    port: listeningPort,
    url: `rsync://127.0.0.1:${listeningPort}/${lab.module}/`,
    connections: () => accepted,
    stop,
  };
}
