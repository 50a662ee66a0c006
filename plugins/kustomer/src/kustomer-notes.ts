import { createOnce, type PluginContext, splitText } from '@crm-connect/core';
import { z } from 'zod';
import type { KustomerClient } from './kustomer-client.js';
import { operations, parseAnswer, parseWriteAnswer } from './kustomer-errors.js';

/**
 * The longest text put in one note, label included: Kustomer's API reference gives a note's body
 * as "1 to 10,240 characters" (Notes, key fields). Counted in UTF-16 code units (JavaScript's
 * string length), the stricter reading of "characters": a text within it is within the limit
 * however Kustomer counts (code points are never more). Longer text is split into notes labelled
 * "(part i of n)"; nothing is ever truncated.
 * https://developer.kustomer.com/api/core-resources/create-note
 */
export const maxNoteLength = 10_240;

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

/** One note (or one part of a long note) as written: its external id and its text. */
interface NotePart {
  externalId: string;
  body: string;
}

/**
 * The notes of this conversation that are these parts, by the part's index → the note's id. A
 * note is recognised by our external id or, if Kustomer omits it in listings, by its text. The
 * listing is read once for all the parts, and no further than the page where the last was found.
 */
async function findNotes(
  client: KustomerClient,
  conversationId: string,
  parts: readonly NotePart[],
): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  for (let page = 1; page <= maxNotePages; page += 1) {
    // https://developer.kustomer.com/kustomer-api-docs/reference/getnotesbyconversation
    const response = await client.request({
      method: 'GET',
      path: `/v1/conversations/${encodeURIComponent(conversationId)}/notes`,
      query: { page, pageSize: notesPageSize },
      operation: operations.listNotes.name,
    });
    const parsed = parseAnswer(notesPageSchema, response, operations.listNotes.name);
    for (const note of parsed.data) {
      for (const [index, part] of parts.entries()) {
        if (note.attributes.externalId === part.externalId || note.attributes.body === part.body) {
          if (!found.has(index)) found.set(index, note.id);
        }
      }
    }
    if (found.size === parts.length || !parsed.links?.next || parsed.data.length === 0) break;
  }
  return found;
}

export interface NoteWriteResult {
  /** HTTP attempts of the creates (lookups are not counted, as elsewhere). */
  attempts: number;
  /** False when every part was found already, so nothing was written. */
  written: boolean;
}

/**
 * Adds `body` to the conversation as one or more internal notes, each carrying an external id
 * derived from `key`. With `findFirst` (the note may be there already: an earlier attempt's
 * answer was lost, or the conversation was found rather than created here) the conversation's
 * notes are listed once and only the missing parts are written; without it nothing is looked up
 * before writing. A create that fails uncertainly is looked up before it is sent again.
 */
export async function addConversationNote(
  client: KustomerClient,
  note: {
    conversationId: string;
    body: string;
    key: string;
    /** Look for the note before writing it: it may exist already. */
    findFirst: boolean;
  },
  http: PluginContext['http'],
): Promise<NoteWriteResult> {
  const { conversationId } = note;
  const texts = splitText(note.body, { limit: maxNoteLength, unit: 'utf16-units' });
  const parts: NotePart[] = texts.map((body, index) => ({
    body,
    externalId: texts.length === 1 ? note.key : `${note.key}:part-${index + 1}-of-${texts.length}`,
  }));
  const existing = note.findFirst
    ? await findNotes(client, conversationId, parts)
    : new Map<number, string>();
  let attempts = 0;
  let written = false;
  for (const [index, part] of parts.entries()) {
    if (existing.has(index)) continue;
    const result = await createOnce({
      http,
      find: async () => (await findNotes(client, conversationId, [part])).get(0),
      create: async () => {
        // https://developer.kustomer.com/kustomer-api-docs/reference/createanotewithinconversation
        const response = await client.request({
          method: 'POST',
          path: `/v1/conversations/${encodeURIComponent(conversationId)}/notes`,
          operation: operations.createNote.name,
          body: { body: part.body, externalId: part.externalId },
        });
        return {
          value: parseWriteAnswer(noteSchema, response, operations.createNote.name).data.id,
          attempts: response.attempts,
        };
      },
    });
    attempts += result.attempts;
    // Found after an uncertain failure, the part was written by this call; after a "duplicate" answer, by another.
    if (result.created) written = true;
  }
  return { attempts, written };
}
