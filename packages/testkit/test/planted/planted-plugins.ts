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
  type HttpClient,
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
    const ticket = z.object({ ticket: z.object({ id: z.string() }) }).parse(response.data).ticket;
    return { ticket: { id: ticket.id }, created: true, attempts: response.attempts };
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
    },
  };
  return fixture;
}
