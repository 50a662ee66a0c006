import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { z } from 'zod';

/**
 * The listening part of a sandbox: a server bound to a loopback address only (a sandbox accepts
 * any seeded credential in clear text, so it must never be reachable from another machine), on
 * an ephemeral port unless told otherwise. `stop()` closes every socket, idle keep-alive ones
 * included, so a test run never leaves a connection or a port behind.
 */

export const serverOptionsSchema = z.object({
  /** The loopback address to listen on. Default `127.0.0.1`; `::1` for IPv6. No other address is accepted. */
  host: z.enum(['127.0.0.1', '::1']).default('127.0.0.1'),
  /** The port; 0 (default) lets the system pick a free one, which `start()` reports in the URL. */
  port: z.number().int().min(0).max(65_535).default(0),
  /**
   * A certificate and its key (PEM) to serve https instead of http, for clients that accept only
   * https endpoints (msal-node authorities). The client must trust the certificate.
   */
  tls: z.object({ key: z.string().min(1), cert: z.string().min(1) }).optional(),
});
export type ServerOptions = z.output<typeof serverOptionsSchema>;
export type ServerOptionsInput = z.input<typeof serverOptionsSchema>;

export type RequestListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void;

export interface SandboxServer {
  /** Starts listening; resolves to the base URL, such as `http://127.0.0.1:49213`. Starting twice is an error. */
  start(): Promise<string>;
  /** Stops listening and destroys every open connection. Safe to call when not started. */
  stop(): Promise<void>;
  /** The base URL while started, else `undefined`. */
  readonly url: string | undefined;
}

export function createSandboxServer(
  listener: RequestListener,
  input: ServerOptionsInput = {},
): SandboxServer {
  const options = serverOptionsSchema.parse(input);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let url: string | undefined;

  function create(): Server {
    const created =
      options.tls === undefined
        ? createHttpServer(listener)
        : createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener);
    created.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    return created;
  }

  return {
    get url() {
      return url;
    },
    async start() {
      if (server !== undefined) throw new Error(`The sandbox is already listening on ${url}`);
      const created = create();
      server = created;
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen({ host: options.host, port: options.port, exclusive: true }, () => {
          created.off('error', reject);
          resolve();
        });
      }).catch((error: unknown) => {
        server = undefined;
        throw error;
      });
      const address = created.address();
      if (address === null || typeof address === 'string') throw new Error('The sandbox has no TCP address');
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `${options.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`;
      return url;
    },
    async stop() {
      const stopping = server;
      if (stopping === undefined) return;
      server = undefined;
      url = undefined;
      const closed = new Promise<void>((resolve) => stopping.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    },
  };
}
