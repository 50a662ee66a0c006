import { type PluginContext, splitText } from '@crm-connect/core';
import { z } from 'zod';
import type { KustomerClient } from './kustomer-client.js';
import { createOnce } from './kustomer-create-once.js';
import { operations, parseAnswer } from './kustomer-errors.js';

/**
 * The longest text put in one note, label included, in UTF-16 code units (JavaScript's string
 * length, which a length check in Kustomer's Node.js API would count). Kustomer documents no
 * limit for a note body (UNCONFIRMED), so long transcripts are split into notes labelled
 * "(part i of n)" rather than risk a refusal; nothing is ever truncated. This value is a guess
 * kept from the first release, to be revisited.
 */
export const maxNoteLength = 20_000;

const noteSchema = z.object({ data: z.object({ id: z.string().min(1) }) });
const notesPageSchema = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      attributes: z.object({ body: z.string().nullish(), externalId: z.string().nullish() }),
    }),
  ),
  links: z.object({ next: z.string().nullish() }).optional(),
});
const notesPageSize = 100;
const maxNotePages = 20;

/** A note of this conversation carrying our external id (or, if Kustomer omits it in listings, the same text). */
async function findNote(
  client: KustomerClient,
  conversationId: string,
  externalId: string,
  body: string,
): Promise<string | undefined> {
  for (let page = 1; page <= maxNotePages; page += 1) {
    // https://developer.kustomer.com/kustomer-api-docs/reference/getnotesbyconversation
    const response = await client.request({
      method: 'GET',
      path: `/v1/conversations/${encodeURIComponent(conversationId)}/notes`,
      query: { page, pageSize: notesPageSize },
      operation: operations.listNotes.name,
    });
    const parsed = parseAnswer(notesPageSchema, response, operations.listNotes.name);
    const match = parsed.data.find(
      (note) => note.attributes.externalId === externalId || note.attributes.body === body,
    );
    if (match !== undefined) return match.id;
    if (!parsed.links?.next || parsed.data.length === 0) return undefined;
  }
  return undefined;
}

/**
 * Adds `body` to the conversation as one or more internal notes, each carrying an external id
 * derived from `key`, so a note whose create failed uncertainly (or that a redelivered event
 * would write again) is found instead of written twice. Returns the HTTP attempts of the creates.
 */
export async function addConversationNote(
  client: KustomerClient,
  note: {
    conversationId: string;
    body: string;
    key: string;
    /** Look for the note before writing it: the conversation existed already (a redelivered event). */
    findFirst: boolean;
  },
  http: PluginContext['http'],
): Promise<number> {
  const { conversationId } = note;
  const parts = splitText(note.body, { limit: maxNoteLength, unit: 'utf16-units' });
  let attempts = 0;
  for (const [index, part] of parts.entries()) {
    const externalId = parts.length === 1 ? note.key : `${note.key}:part-${index + 1}-of-${parts.length}`;
    const lookup = () => findNote(client, conversationId, externalId, part);
    if (note.findFirst && (await lookup()) !== undefined) continue;
    const result = await createOnce({
      http,
      lookup,
      create: async () => {
        // https://developer.kustomer.com/kustomer-api-docs/reference/createanotewithinconversation
        const response = await client.request({
          method: 'POST',
          path: `/v1/conversations/${encodeURIComponent(conversationId)}/notes`,
          operation: operations.createNote.name,
          body: { body: part, externalId },
        });
        return {
          value: parseAnswer(noteSchema, response, operations.createNote.name).data.id,
          attempts: response.attempts,
        };
      },
    });
    attempts += result.attempts;
  }
  return attempts;
}
