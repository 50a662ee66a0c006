import { crmIds, portableCrmSchema } from '@crm-connect/sandbox-crms';
import { z } from 'zod';

/**
 * The messages between a figure and the sandbox host process (sandbox-host.ts). The figures that
 * read the client's CPU time run the sandbox there, so the bench's own process does the client's
 * work alone. The host answers what those figures would otherwise read from an in-process sandbox:
 * its request log, its store, its seed. Plain JSON both ways; each side checks what arrives.
 */

export const hostCallSchema = z.discriminatedUnion('call', [
  /** Starts the CRM's sandbox with its plugin configured, as `SandboxCrm.start()` does. */
  z.object({ call: z.literal('start'), crm: z.enum(crmIds) }),
  /** The sequence number of the sandbox's latest request (0 before any). */
  z.object({ call: z.literal('lastSequence') }),
  /** The requests the sandbox received after `sequence`. */
  z.object({ call: z.literal('entriesAfter'), sequence: z.number().int().nonnegative() }),
  /** The id of the record the store holds for an interaction. */
  z.object({ call: z.literal('recordIdFor'), interactionId: z.string() }),
  /** Adds the bench agents 0 … count-1 (bench-agents.ts) as active CRM users. */
  z.object({ call: z.literal('seedAgents'), count: z.number().int().positive() }),
  z.object({ call: z.literal('stop') }),
]);
export type HostCall = z.infer<typeof hostCallSchema>;
export type HostCallName = HostCall['call'];

export const hostRequestSchema = z.object({ id: z.number().int(), call: hostCallSchema });
export type HostRequest = z.infer<typeof hostRequestSchema>;

export const hostReplySchema = z.discriminatedUnion('ok', [
  z.object({ id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  z.object({ id: z.number().int(), ok: z.literal(false), error: z.string() }),
]);
export type HostReply = z.infer<typeof hostReplySchema>;

/** What `start` answers: where the sandbox listens and what a client process needs to build the same plugin. */
export const startedSandboxSchema = z.object({
  url: z.string(),
  crm: portableCrmSchema,
  /** An Authorization header for a bare client, obtained from the sandbox directly. */
  authorization: z.string(),
});

/** A logged request as the replay reads it (`LoggedRequest` in replay.ts). */
const loggedRequestSchema = z.object({
  sequence: z.number().int(),
  method: z.string(),
  path: z.string(),
  query: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.unknown().optional(),
  status: z.number().int().optional(),
});

/** The value each call answers with. */
export const hostAnswerSchemas = {
  start: startedSandboxSchema,
  lastSequence: z.number().int(),
  entriesAfter: z.array(loggedRequestSchema),
  /** `null` when the store holds none. */
  recordIdFor: z.string().nullable(),
  /** How many users were added. */
  seedAgents: z.number().int(),
  stop: z.null(),
} satisfies Record<HostCallName, z.ZodType>;
export type HostAnswer<TName extends HostCallName> = z.output<(typeof hostAnswerSchemas)[TName]>;

/** Each call's answer schema, typed by the call's name (so a generic caller gets the right type back). */
export const hostAnswerParsers: { [TName in HostCallName]: z.ZodType<HostAnswer<TName>> } = hostAnswerSchemas;
