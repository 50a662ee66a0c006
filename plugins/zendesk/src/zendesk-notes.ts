import { splitText } from '@crm-connect/core';

/**
 * Internal notes are written whole: a text too long for one comment becomes several comments,
 * labelled "(part i of n)", never truncated.
 *
 * Zendesk's reference does not state a comment size limit. Integrators report 64 KiB
 * (UNCONFIRMED), so a part stays under 60,000 UTF-8 bytes, label included, which leaves room
 * for whatever Zendesk adds when it renders the body.
 */
export const maxCommentBytes = 60_000;

/** One comment to write, and the key by which a connection remembers that it wrote it. */
export interface CommentPart {
  body: string;
  key: string;
}

/** The comments a text becomes: one keeps the operation's key, several get a key each. */
export function commentParts(text: string, key: string): CommentPart[] {
  const bodies = splitText(text, { limit: maxCommentBytes, unit: 'utf8-bytes' });
  if (bodies.length === 1) return bodies.map((body) => ({ body, key }));
  return bodies.map((body, index) => ({ body, key: `${key}:part-${index + 1}-of-${bodies.length}` }));
}
