import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { assertUsable, onDispose, type Lab } from './lab.js';
import { listenOnLoopback } from './ports.js';

export interface LoopbackHttp {
  readonly port: number;
  /** Requests received so far, answered or not. */
  requests(): number;
  /** Calls `tick` every `ms` while `response` is open; stopping the server clears it too. */
  every(response: ServerResponse, ms: number, tick: () => void): void;
  /** Closes the server and destroys every open connection (a hung answer included). Idempotent. */
  stop(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 owned by the lab (stopped when it is disposed), for the lab's fault
 * servers: it counts requests, answers each with `answer` (a rejection becomes a 500, or a reset
 * once headers went out) and never keeps the test process alive.
 */
export async function startLoopbackHttp(lab: Lab, what: string, answer: (request: IncomingMessage, response: ServerResponse) => Promise<void>): Promise<LoopbackHttp> {
  assertUsable(lab);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let received = 0;
  const server = createServer((request, response) => {
    received += 1;
    answer(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500).end(String(error));
      else response.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.unref();
  const port = await listenOnLoopback(server, what);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= new Promise<void>((resolve) => {
      unregister();
      for (const timer of timers) clearInterval(timer);
      timers.clear();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    }));
  const unregister = onDispose(lab, stop);
  const every = (response: ServerResponse, ms: number, tick: () => void): void => {
    const timer = setInterval(tick, ms).unref();
    timers.add(timer);
    response.once('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  };
  return { port, requests: () => received, every, stop };
}
