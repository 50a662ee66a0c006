import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { sandboxTls } from '@crm-connect/sandbox';

/**
 * A token endpoint that answers at once with its status and headers, then drips its body one byte
 * every `byteIntervalMs` for `dripForMs`: a server (or a proxy) trickling an answer, which a timer
 * on the wait for the headers, or on an idle socket, never notices. It records when the connection
 * that carried each request closed, so a test can see whether the client let go of the socket at
 * its deadline or kept reading. (Node's fetch opens a fresh, idle connection after an aborted one;
 * that one carries no request and is not what is watched.)
 */

export interface DripServer {
  /** `http://127.0.0.1:PORT` (or https with the sandbox certificate). */
  readonly url: string;
  /** Requests received: method, path, the parsed form body, and when their connection closed (ms since the epoch). */
  readonly requests: {
    method: string;
    path: string;
    body: Record<string, string>;
    closedAt: number | undefined;
  }[];
  /** True once the connection of every request received has closed; false if one is still open after `withinMs`. */
  allClosed(withinMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startDripServer(
  options: { tls?: boolean; byteIntervalMs?: number; dripForMs?: number; status?: number } = {},
): Promise<DripServer> {
  const byteIntervalMs = options.byteIntervalMs ?? 25;
  const dripForMs = options.dripForMs ?? 15_000;
  const requests: DripServer['requests'] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const listener = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    let text = '';
    incoming.setEncoding('utf8');
    incoming.on('data', (chunk: string) => {
      text += chunk;
    });
    incoming.on('end', () => {
      const request: DripServer['requests'][number] = {
        method: incoming.method ?? 'GET',
        path: (incoming.url ?? '/').split('?')[0] ?? '/',
        body: Object.fromEntries(new URLSearchParams(text)),
        closedAt: undefined,
      };
      requests.push(request);
      incoming.socket.once('close', () => {
        request.closedAt = Date.now();
      });
      // No Content-Length: the body is chunked and never seems to end.
      outgoing.writeHead(options.status ?? 200, { 'Content-Type': 'application/json' });
      outgoing.write('{"access_token":');
      const started = Date.now();
      const timer = setInterval(() => {
        if (outgoing.destroyed || Date.now() - started > dripForMs) {
          clearInterval(timer);
          timers.delete(timer);
          if (!outgoing.destroyed) outgoing.end('"late"}');
          return;
        }
        outgoing.write(' ');
      }, byteIntervalMs);
      timers.add(timer);
    });
  };
  const server = options.tls ? createHttpsServer(sandboxTls(), listener) : createHttpServer(listener);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    async allClosed(withinMs) {
      const until = Date.now() + withinMs;
      const open = () => requests.some((request) => request.closedAt === undefined);
      while (open() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
      return !open();
    },
    async stop() {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
