import { InvalidResponseError } from '@crm-connect/core';
import { z } from 'zod';
import type { ZendeskAccount } from './zendesk-client.js';
import { parseAnswer } from './zendesk-errors.js';
import type { CommentPart } from './zendesk-notes.js';
import { pluginId } from './zendesk-plugin-id.js';

/**
 * Which parts of a note are on a ticket already. Every internal note crm-connect adds after the
 * ticket's creation is a ticket update carrying its part's key in the update's metadata
 * (`ticket.metadata`, write-only, which Zendesk keeps on the update's audit as
 * `metadata.custom`); a note that may be there is looked up in the ticket's audits, oldest first,
 * page by page until every part is found or the audits end. A comment written before keys were
 * carried is recognised by its exact text (a private comment with the part's body).
 * https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/ (metadata)
 * https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/#list-audits-for-a-ticket
 */

/** The key of the audit metadata that names the note part an update wrote. */
export const noteKeyField = 'crm_connect_note';

/** The metadata an update carries for one note part. */
export function noteMetadata(part: CommentPart): Record<string, string> {
  return { [noteKeyField]: part.key };
}

const auditSchema = z.object({
  metadata: z.object({ custom: z.record(z.string(), z.unknown()).nullish() }).nullish(),
  events: z
    .array(
      z.looseObject({
        type: z.string().optional(),
        body: z.string().nullish(),
        public: z.boolean().nullish(),
      }),
    )
    .nullish(),
});

/** Cursor pagination (`meta`), or offset pagination (`next_page`) should Zendesk answer that way. */
const auditsPageSchema = z.object({
  audits: z.array(auditSchema),
  meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullish() }).nullish(),
  next_page: z.string().nullish(),
});

/** Zendesk's largest page. */
const pageSize = 100;
/** 50,000 audits: far beyond any ticket (5,000 comments at most), so only a looping answer reaches it. */
const maxPages = 500;

export interface LandedParts {
  /** Keys of the parts found on the ticket. */
  found: Set<string>;
  attempts: number;
}

/** The next page's query: the cursor after this one, or the `page` of an offset `next_page` URL. */
function nextQuery(page: z.infer<typeof auditsPageSchema>): Record<string, string> | undefined {
  if (page.meta != null) {
    if (!page.meta.has_more || page.meta.after_cursor == null) return undefined;
    return { 'page[size]': String(pageSize), 'page[after]': page.meta.after_cursor };
  }
  if (page.next_page == null) return undefined;
  const next = URL.canParse(page.next_page) ? new URL(page.next_page).searchParams.get('page') : null;
  return next === null ? undefined : { page: next, per_page: String(pageSize) };
}

export async function landedParts(
  account: ZendeskAccount,
  ticketPath: string,
  parts: readonly CommentPart[],
): Promise<LandedParts> {
  const found = new Set<string>();
  const byKey = new Set(parts.map((part) => part.key));
  const byBody = new Map(parts.map((part) => [part.body, part.key]));
  let attempts = 0;
  let query: Record<string, string> | undefined = { 'page[size]': String(pageSize) };
  const seen = new Set<string>();
  for (let pages = 0; query !== undefined && found.size < byKey.size; pages += 1) {
    const where = JSON.stringify(query);
    if (pages >= maxPages || seen.has(where)) {
      throw new InvalidResponseError(
        `Zendesk kept answering more audits of ticket ${ticketPath} (${pages} pages) without reaching their end, so whether a note is already there is unknown; nothing was written. Report it with the ticket id.`,
        { pluginId },
      );
    }
    seen.add(where);
    const response = await account.api.request({
      method: 'GET',
      path: `${ticketPath}/audits`,
      query,
      operation: 'look for a note on the ticket',
      auth: account.credentials.admin(),
    });
    attempts += response.attempts;
    const page = parseAnswer(auditsPageSchema, response, 'look for a note on the ticket');
    for (const audit of page.audits) {
      const key = audit.metadata?.custom?.[noteKeyField];
      if (typeof key === 'string' && byKey.has(key)) found.add(key);
      for (const event of audit.events ?? []) {
        if (event.type !== 'Comment' || event.public !== false || event.body == null) continue;
        const bodyKey = byBody.get(event.body);
        if (bodyKey !== undefined) found.add(bodyKey);
      }
    }
    query = nextQuery(page);
  }
  return { found, attempts };
}
