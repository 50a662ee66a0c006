import { SignJWT } from 'jose';

/** Test clocks and hand-made tokens, to produce exactly the bad tokens the reference lists. */

/** 2026-11-21T10:00:00Z, in milliseconds. */
export const nowMs = Date.parse('2026-11-21T10:00:00Z');
export const nowSeconds = nowMs / 1000;
export const clock =
  (ms = nowMs) =>
  () =>
    ms;

export const chatSecret = 'chat-shared-secret-4f9a8b7c6d5e4f3a2b1c0d9e';
export const otherChatSecret = 'regenerated-secret-0a1b2c3d4e5f6a7b8c9d0e1f';

export const messagingKeys = [
  { id: 'app_64e5a1b2c3d4e5f6a7b8c9d0', secret: 'msg-key-new-Zk2Lq9Wm4Rt7Yp1Xc5Vb8Nn3' },
  { id: 'app_5f0e9d8c7b6a5f4e3d2c1b0a', secret: 'msg-key-old-Hd6Jf2Ks8Lq4Wm0Ep7Rt3Yu9' },
] as const;

/** Signs arbitrary claims and header fields with HS256, bypassing every rule of the library. */
export async function handMade(
  claims: Record<string, unknown>,
  secret: string,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header })
    .sign(new TextEncoder().encode(secret));
}

/** A token with `alg` other than HS256 and a meaningless signature: the header alone must get it refused. */
export function withAlg(alg: string, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg, typ: 'JWT' })}.${part(claims)}.${alg === 'none' ? '' : 'c2lnbmF0dXJl'}`;
}

export function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  const part = token.split('.')[index] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
