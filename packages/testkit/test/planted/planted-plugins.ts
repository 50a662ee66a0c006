/**
 * Broken copies of the example plugin, each with one bug planted, that the conformance suite
 * must fail (issue 17: four of fourteen planted bugs got through a fifth plugin's contract test).
 * Each copy changes one method of the example and keeps the rest.
 */
import {
  type AuthProvider,
  type CrmConnection,
  type CrmPlugin,
  createHttpClient,
  createWriteAnswerParser,
  type HttpClient,
  type HttpResponse,
  OwnerRejectedError,
  type PluginContext,
} from '@crm-connect/core';
import type { ConformanceFixture } from '@crm-connect/testkit';
import { helpdeskFixture, helpdeskPlugin } from '@crm-connect/testkit/example';
import { z } from 'zod';

type Helpdesk = typeof helpdeskPlugin;
type HelpdeskSettings = Parameters<Helpdesk['connect']>[0];

/** The example's client, with the header that carries the idempotency key chosen by the copy. */
function helpdeskHttp(
  settings: HelpdeskSettings,
  context: PluginContext,
  idempotencyHeader: string | undefined,
): HttpClient {
  const auth: AuthProvider = { headers: async () => ({ Authorization: `Bearer ${settings.apiKey ?? ''}` }) };
  context.redactor.add(settings.apiKey);
  return createHttpClient({
    pluginId: 'helpdesk',
    baseUrl: settings.baseUrl,
    auth,
    budget: context.rateBudgets.forAccount(`helpdesk:${settings.baseUrl}`, { requestsPerInterval: 600 }),
    redactor: context.redactor,
    logger: context.logger,
    // As the example maps it: an inactive owner is refused.
    mapError: (response) =>
      response.status === 422 &&
      (response.data as { error?: { code?: string } } | undefined)?.error?.code === 'owner_inactive'
        ? new OwnerRejectedError('helpdesk: the owner is inactive.', {
            pluginId: 'helpdesk',
            ownerId: 'unknown',
          })
        : undefined,
    idempotencyHeader,
    retry: context.http.retry,
    timeoutMs: context.http.timeoutMs,
  });
}

/** The example with some connection methods replaced. */
function withConnection(
  replace: (settings: HelpdeskSettings, context: PluginContext) => Partial<CrmConnection>,
): Helpdesk {
  return {
    ...helpdeskPlugin,
    connect: (settings, context) => ({
      ...helpdeskPlugin.connect(settings, context),
      ...replace(settings, context),
    }),
  };
}

/** As the example reads a write's answer: an unreadable success is a retryable error. */
const parseWriteAnswer = createWriteAnswerParser({
  pluginId: 'helpdesk',
  hint: 'Check the base URL.',
  afterward: 'Deliver the event again.',
});

/** The example's reading of a create's answer: a replay ("hit") reports the ticket's owner now. */
function createdTicket(response: HttpResponse): Awaited<ReturnType<CrmConnection['createTicket']>> {
  const { ticket } = parseWriteAnswer(
    z.object({ ticket: z.object({ id: z.string(), owner_id: z.string().optional() }) }),
    response,
    'create ticket',
  );
  const created = response.headers['x-idempotency-lookup'] !== 'hit';
  return {
    ticket: { id: ticket.id },
    created,
    attempts: response.attempts,
    ...(created || ticket.owner_id === undefined ? {} : { owner: { id: ticket.owner_id, active: true } }),
  };
}

/** The example's ticket create, sent through `http` with the request options a copy chooses. */
function createTicketWith(
  http: HttpClient,
  options: { idempotencyKey?: boolean; idempotent?: boolean },
): CrmConnection['createTicket'] {
  return async (input) => {
    const response = await http.request({
      method: 'POST',
      path: '/api/tickets',
      operation: 'create ticket',
      ...(options.idempotencyKey === true ? { idempotencyKey: input.idempotencyKey } : {}),
      ...(options.idempotent === true ? { idempotent: true } : {}),
      body: {
        ticket: {
          subject: input.subject,
          description: input.description,
          requester: input.event.endUser,
          owner_id: input.owner.id,
          external_id: input.event.interactionId,
        },
      },
    });
    return createdTicket(response);
  };
}

/** Bug a: the create claims an idempotency key, but the client has no header to send it in. */
export const createKeyNeverSent = withConnection((settings, context) => ({
  createTicket: createTicketWith(helpdeskHttp(settings, context, undefined), { idempotencyKey: true }),
}));

/** Bug a: the create sends its key in a header Helpdesk does not honour, and is retried. */
export const createKeyNotHonoured = withConnection((settings, context) => ({
  createTicket: createTicketWith(helpdeskHttp(settings, context, 'X-Idempotency-Key'), {
    idempotencyKey: true,
  }),
}));

/** Bug a: the create POST is marked idempotent to get retries, with no key at all. */
export const createMarkedIdempotent = withConnection((settings, context) => ({
  createTicket: createTicketWith(helpdeskHttp(settings, context, 'Idempotency-Key'), { idempotent: true }),
}));

/** Bug b: the note POST is marked idempotent, with no key: a retry adds the note twice. */
export const noteMarkedIdempotent = withConnection((settings, context) => ({
  async addNote(input) {
    const response = await helpdeskHttp(settings, context, 'Idempotency-Key').request({
      method: 'POST',
      path: `/api/tickets/${encodeURIComponent(input.ticket.id)}/notes`,
      operation: 'add note',
      idempotent: true,
      body: { note: { body: input.body, public: false } },
    });
    return { attempts: response.attempts, written: true };
  },
}));

/** The example's create body, changed by `edit` (what a copy writes differently). */
function createTicketWriting(
  edit: (ticket: Record<string, unknown>) => Record<string, unknown>,
): (settings: HelpdeskSettings, context: PluginContext) => Partial<CrmConnection> {
  return (settings, context) => ({
    async createTicket(input) {
      const response = await helpdeskHttp(settings, context, 'Idempotency-Key').request({
        method: 'POST',
        path: '/api/tickets',
        operation: 'create ticket',
        idempotencyKey: input.idempotencyKey,
        body: {
          ticket: edit({
            subject: input.subject,
            description: input.description,
            requester: input.event.endUser,
            owner_id: input.owner.id,
            external_id: input.event.interactionId,
          }),
        },
      });
      return createdTicket(response);
    },
  });
}

/** Bug e: the transcript is written as a public note (Helpdesk would e-mail it to the customer). */
export const noteWrittenPublic = withConnection((settings, context) => ({
  async addNote(input) {
    const response = await helpdeskHttp(settings, context, 'Idempotency-Key').request({
      method: 'POST',
      path: `/api/tickets/${encodeURIComponent(input.ticket.id)}/notes`,
      operation: 'add note',
      idempotencyKey: input.idempotencyKey,
      body: { note: { body: input.body, public: true } },
    });
    return { attempts: response.attempts, written: response.headers['x-idempotency-lookup'] !== 'hit' };
  },
}));

/** Bug f: the ticket's description is the subject again: the first message is lost. */
export const descriptionDropped = withConnection(
  createTicketWriting((ticket) => ({ ...ticket, description: ticket.subject })),
);

/** Bug g: the interaction id is not stored on the ticket: a restarted worker cannot find it. */
export const externalIdDropped = withConnection(
  createTicketWriting(({ external_id: _dropped, ...ticket }) => ticket),
);

/** Bug h: the owner change is a PUT (Helpdesk replaces the whole ticket) instead of a PATCH. */
export const ownerChangeWrongMethod = withConnection((settings, context) => ({
  async changeOwner(input) {
    const response = await helpdeskHttp(settings, context, 'Idempotency-Key').request({
      method: 'PUT',
      path: `/api/tickets/${encodeURIComponent(input.ticket.id)}`,
      operation: 'change owner',
      idempotent: true,
      body: { ticket: { owner_id: input.owner.id } },
    });
    return { attempts: response.attempts };
  },
}));

/** Bug c: the credential check logs the key through the context's logger before registering it. */
export const logsSecret: Helpdesk = {
  ...helpdeskPlugin,
  validateCredentials(settings, context) {
    context.logger.log('debug', 'checking the Helpdesk API key', { apiKey: settings.apiKey });
    return helpdeskPlugin.validateCredentials(settings, context);
  },
};

/** Bug d: the credential check prints the key to stdout. */
export const printsSecret: Helpdesk = {
  ...helpdeskPlugin,
  validateCredentials(settings, context) {
    console.log(`helpdesk: checking key ${settings.apiKey ?? ''}`);
    return helpdeskPlugin.validateCredentials(settings, context);
  },
};

/** Bug d: the credential check writes the key to stderr. */
export const writesSecretToStderr: Helpdesk = {
  ...helpdeskPlugin,
  validateCredentials(settings, context) {
    process.stderr.write(`helpdesk: checking key ${settings.apiKey ?? ''}\n`);
    return helpdeskPlugin.validateCredentials(settings, context);
  },
};

/**
 * The example's fixture, its ticket create matched as a fixture for a CRM without idempotency
 * keys would match it (on the path alone), so what catches a planted bug is the suite's own
 * check, not a header the fixture happens to require.
 */
export function plantedFixture(plugin: CrmPlugin<Helpdesk['settings']['schema']>) {
  const { mocks } = helpdeskFixture;
  const fixture: ConformanceFixture<Helpdesk['settings']['schema']> = {
    ...helpdeskFixture,
    plugin,
    mocks: {
      ...mocks,
      createTicket: (ticketId) => (crm) => {
        crm()
          .post('/api/tickets')
          .reply(201, { ticket: { id: ticketId } }, { 'x-idempotency-lookup': 'miss' });
      },
      // Any method answered, as a canned success would: the suite's declared method must catch a wrong one.
      changeOwner: (ticketId) => (crm) => {
        crm()
          .intercept(`/api/tickets/${ticketId}`, plugin === ownerChangeWrongMethod ? 'PUT' : 'PATCH')
          .reply(200, { ticket: { id: ticketId } });
      },
    },
  };
  return fixture;
}
