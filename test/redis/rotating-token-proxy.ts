import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The Salesforce sandbox as seen through a connected app with refresh-token rotation (the sandbox
 * itself keeps a refresh token until it is revoked). Every request is passed to the sandbox
 * unchanged but refreshes: a refresh spends the refresh token it presents, at once, and its
 * answer carries a new one; a spent one is refused with `invalid_grant`, as Salesforce does.
 * Point the plugin's login URL here: the sandbox's own origin in its answers (the instance and
 * identity URLs) is rewritten to this one, so all the org's traffic goes through here.
 */
export interface RotatingTokenProxy {
  /** The login URL to give the plugin. */
  url: string;
  /** Refresh requests received. */
  readonly refreshes: number;
  /** Of those, refused because the refresh token was spent. */
  readonly refused: number;
  stop(): Promise<void>;
}

export async function startRotatingTokenProxy(sandboxUrl: string): Promise<RotatingTokenProxy> {
  /** Each rotated refresh token this proxy issued, and the sandbox's token it stands for. */
  const upstream = new Map<string, string>();
  const spent = new Set<string>();
  let refreshes = 0;
  let refused = 0;
  let origin = '';
  const sandboxOrigin = new URL(sandboxUrl).origin;

  async function answer(
    incoming: IncomingMessage,
  ): Promise<{ status: number; headers: Headers; body: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks).toString('utf8');
    const form = new URLSearchParams(body);
    const presented = form.get('refresh_token');
    const refresh =
      incoming.method === 'POST' &&
      incoming.url === '/services/oauth2/token' &&
      form.get('grant_type') === 'refresh_token' &&
      presented !== null;
    if (refresh) {
      refreshes += 1;
      if (spent.has(presented)) {
        refused += 1;
        const refusal = { error: 'invalid_grant', error_description: 'expired access/refresh token' };
        return {
          status: 400,
          headers: new Headers({ 'content-type': 'application/json' }),
          body: JSON.stringify(refusal),
        };
      }
      // Spent as the request arrives: a second refresh with it, even one sent at the same moment, is refused.
      spent.add(presented);
      form.set('refresh_token', upstream.get(presented) ?? presented);
      body = form.toString();
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (value === undefined || name === 'host' || name === 'content-length' || name === 'connection')
        continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await fetch(new URL(incoming.url ?? '/', sandboxUrl), {
      method: incoming.method,
      headers,
      body: incoming.method === 'GET' || incoming.method === 'HEAD' ? undefined : body,
      redirect: 'manual',
    });
    let text = (await response.text()).replaceAll(sandboxOrigin, origin);
    if (refresh && response.status === 200) {
      const rotated = `5Aep861Rotated${randomBytes(40).toString('base64url')}`;
      upstream.set(rotated, form.get('refresh_token') ?? '');
      text = JSON.stringify({ ...JSON.parse(text), refresh_token: rotated });
    }
    return { status: response.status, headers: response.headers, body: text };
  }

  const server = createServer((incoming, outgoing) => {
    answer(incoming).then(
      ({ status, headers, body }) => {
        const passed: Record<string, string> = {};
        for (const [name, value] of headers) {
          if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding')
            passed[name] = value;
        }
        outgoing.writeHead(status, passed).end(body);
      },
      (error: unknown) => outgoing.writeHead(502).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    get refreshes() {
      return refreshes;
    },
    get refused() {
      return refused;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
