/**
 * The worked example of docs/adding-a-crm.md, shipped as `@crm-connect/testkit/example`: a
 * minimal plugin for "Helpdesk", a made-up REST API with Bearer API keys that honours an
 * `Idempotency-Key` header on every POST (a repeat with the same key answers with what the first
 * made). The testkit's own tests run the conformance suite against it.
 */
import {
  AuthenticationError,
  type AuthProvider,
  type CrmUser,
  commonSettingsShape,
  createHttpClient,
  createWriteAnswerParser,
  definePlugin,
  type ErrorResponse,
  OwnerRejectedError,
  optionalText,
  type PluginContext,
} from '@crm-connect/core';
import { z } from 'zod';

const settingsSchema = z.object({
  ...commonSettingsShape,
  baseUrl: z.url({ protocol: /^https$/ }).describe('Helpdesk API base URL'),
  // optionalText: a form sends "" for a field left empty, which must parse as "not set".
  apiKey: optionalText(z.string().min(8, 'must be the 32-character key from Settings › API')).describe(
    'API key',
  ),
});
type HelpdeskSettings = z.output<typeof settingsSchema>;

const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  active: z.boolean(),
  role: z.enum(['admin', 'agent']),
});
const toUser = (user: z.infer<typeof userSchema>): CrmUser => ({ ...user, email: user.email.toLowerCase() });

function mapError(response: ErrorResponse) {
  const code = (response.data as { error?: { code?: string } } | undefined)?.error?.code;
  if (response.status === 422 && code === 'owner_inactive') {
    return new OwnerRejectedError('helpdesk: the owner is inactive.', {
      pluginId: 'helpdesk',
      ownerId: 'unknown',
    });
  }
  return undefined;
}

/**
 * Answers to writes: Helpdesk answered a success, so the write may be made even when the body is
 * unreadable (a proxy page): a retryable error, and the redelivery's key finds what was made.
 */
const parseWriteAnswer = createWriteAnswerParser({
  pluginId: 'helpdesk',
  hint: 'Check the base URL: it must be the Helpdesk API.',
  afterward: 'Deliver the event again: its Idempotency-Key finds what Helpdesk made.',
});

/** Every call goes through core's HTTP layer, with the context's budget, redactor, logger and HTTP overrides. */
function client(settings: HelpdeskSettings, context: PluginContext) {
  const auth: AuthProvider = { headers: async () => ({ Authorization: `Bearer ${settings.apiKey ?? ''}` }) };
  return createHttpClient({
    pluginId: 'helpdesk',
    baseUrl: settings.baseUrl,
    auth,
    // One budget per Helpdesk account (its documented limit), shared by every connector of the account.
    budget: context.rateBudgets.forAccount(`helpdesk:${settings.baseUrl}`, { requestsPerInterval: 600 }),
    redactor: context.redactor,
    logger: context.logger,
    mapError,
    // Helpdesk honours this header, so a POST with an `idempotencyKey` is safe to retry. A CRM
    // without one gets no header and no retried POST: look up, then create (core's createOnce).
    idempotencyHeader: 'Idempotency-Key',
    retry: context.http.retry,
    timeoutMs: context.http.timeoutMs,
  });
}

async function me(settings: HelpdeskSettings, context: PluginContext): Promise<CrmUser> {
  // Registered before anything can log it: the context may come from a save flow that knows no secret yet.
  context.redactor.add(settings.apiKey);
  const response = await client(settings, context).request({
    method: 'GET',
    path: '/api/me',
    operation: 'check credentials',
  });
  const parsed = z.object({ user: userSchema }).safeParse(response.data);
  if (!parsed.success)
    throw new AuthenticationError('helpdesk: the API key did not resolve to a user.', {
      pluginId: 'helpdesk',
    });
  return toUser(parsed.data.user);
}

export const helpdeskPlugin = definePlugin({
  id: 'helpdesk',
  displayName: 'Helpdesk',
  settings: {
    schema: settingsSchema,
    secretFields: ['apiKey'],
    credentialGroups: [
      { id: 'credentials', label: 'The API key', fields: ['apiKey'], addressFields: ['baseUrl'] },
    ],
  },
  capabilities: () => ({ performsAsAgent: false, alwaysUseAdmin: true }),
  validateCredentials: async (settings, context) => ({
    connectionUser: await me(settings, context),
    warnings: [],
  }),
  connect(settings, context) {
    const http = client(settings, context);
    let connectionUser: Promise<CrmUser> | undefined;
    return {
      connectionUser: () => {
        connectionUser ??= me(settings, context);
        return connectionUser;
      },
      async findUserByEmail(email) {
        const response = await http.request({
          method: 'GET',
          path: '/api/users',
          query: { email },
          operation: 'find user',
        });
        const [user] = z.object({ users: z.array(userSchema) }).parse(response.data).users;
        return user === undefined ? undefined : toUser(user);
      },
      async listAssignableUsers() {
        const response = await http.request({
          method: 'GET',
          path: '/api/users',
          query: { role: 'agent' },
          operation: 'list agents',
        });
        return z
          .object({ users: z.array(userSchema) })
          .parse(response.data)
          .users.map(toUser);
      },
      async createTicket(input) {
        const response = await http.request({
          method: 'POST',
          path: '/api/tickets',
          operation: 'create ticket',
          idempotencyKey: input.idempotencyKey,
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
        const { ticket } = parseWriteAnswer(
          z.object({ ticket: z.object({ id: z.string(), owner_id: z.string().optional() }) }),
          response,
          'create ticket',
        );
        // A replay ("hit") is the ticket an earlier delivery made: left as it is, its owner reported.
        const created = response.headers['x-idempotency-lookup'] !== 'hit';
        return {
          ticket: { id: ticket.id },
          created,
          attempts: response.attempts,
          ...(created || ticket.owner_id === undefined
            ? {}
            : { owner: { id: ticket.owner_id, active: true } }),
        };
      },
      async findTicket(interactionId) {
        const response = await http.request({
          method: 'GET',
          path: '/api/tickets',
          query: { external_id: interactionId },
          operation: 'find ticket',
        });
        const [ticket] = z
          .object({ tickets: z.array(z.object({ id: z.string() })) })
          .parse(response.data).tickets;
        return ticket === undefined ? undefined : { id: ticket.id };
      },
      async changeOwner(input) {
        const response = await http.request({
          method: 'PATCH',
          path: `/api/tickets/${encodeURIComponent(input.ticket.id)}`,
          operation: 'change owner',
          idempotent: true,
          body: { ticket: { owner_id: input.owner.id } },
        });
        return { attempts: response.attempts };
      },
      async addNote(input) {
        const response = await http.request({
          method: 'POST',
          path: `/api/tickets/${encodeURIComponent(input.ticket.id)}/notes`,
          operation: 'add note',
          idempotencyKey: input.idempotencyKey,
          body: { note: { body: input.body, public: false } },
        });
        parseWriteAnswer(z.object({ note: z.object({ id: z.string() }) }), response, 'add note');
        // A replay ("hit") is a note an earlier delivery wrote: nothing written now.
        return { attempts: response.attempts, written: response.headers['x-idempotency-lookup'] !== 'hit' };
      },
    };
  },
});
