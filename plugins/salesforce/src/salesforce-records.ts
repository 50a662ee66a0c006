import {
  asOwnerRejected,
  type ChangeOwnerInput,
  type CreateTicketInput,
  type CreateTicketResult,
  type CrmUser,
  clipText,
  hasErrorCode,
  splitText,
  type TicketRef,
  type WriteResult,
} from '@crm-connect/core';
import { z } from 'zod';
import { type SalesforceApi, soqlString } from './salesforce-api.js';
import { contactFields, contactKey, suppliedFields } from './salesforce-contacts.js';
import {
  parseWriteAnswer,
  salesforceErrorsOf,
  subrequestError,
  unexpectedAnswer,
} from './salesforce-errors.js';
import { descriptionMaxLength, writeTasks } from './salesforce-notes.js';
import { pluginId } from './salesforce-plugin-id.js';
import { type ApiSession, type SessionSource, sessionUser } from './salesforce-sessions.js';

/**
 * Cases. One interaction is one Case, keyed by the interaction id held in a Case field the admin
 * creates (Text, Unique, External ID): a retried or redelivered create finds the same Case.
 */

const compositeSchema = z.object({
  compositeResponse: z.array(
    z.object({ referenceId: z.string(), httpStatusCode: z.number(), body: z.unknown() }),
  ),
});
const createdSchema = z.object({ id: z.string(), success: z.boolean() });
const caseRecordSchema = z.object({ Id: z.string(), ContactId: z.string().nullish() });
/** The polymorphic `Owner` (a User or a queue), through Salesforce's `Name` object. */
const ownedCaseSchema = caseRecordSchema.extend({
  OwnerId: z.string().nullish(),
  Owner: z
    .object({
      Type: z.string().nullish(),
      Name: z.string().nullish(),
      Email: z.string().nullish(),
      IsActive: z.boolean().nullish(),
    })
    .nullish(),
});
const ownedCaseQuerySchema = z.object({ records: z.array(ownedCaseSchema) });

/** Room left in Description for the note that says where the rest is. */
const continuedTitle = 'Case description (continued)';
const continuedNote = `\n\n[Continued in the completed Tasks "${continuedTitle}" on this case.]`;

/**
 * Creates the Case of an interaction and its Contact in ONE composite request, and never changes
 * a Case that exists already (a late or redelivered opening event on a worker that has no link):
 *  1. `contact`: POST the Contact with its key. When a Contact with that key exists, the Unique
 *     key makes this fail with DUPLICATE_VALUE, which is expected: existing Contacts are never
 *     modified (an upsert would overwrite names and phones agents corrected).
 *  2. `case`: POST the Case with the interaction id in its Unique external-id field, owned by
 *     `owner`, its Contact named by key (`Contact: { Key__c: … }`), so it does not depend on
 *     step 1 succeeding in this request. When the interaction's Case exists, Salesforce refuses
 *     it with DUPLICATE_VALUE and nothing is written: its owner, subject and description stay
 *     (an upsert would put back the default user over the agent who took the Case since).
 *  3. `caseRecord`: read the Case back: its id, Contact and owner — the new Case, or the one
 *     that existed, whose owner the result reports.
 * `allOrNone: false` lets steps 2 and 3 run after the expected DUPLICATE_VALUE of step 1.
 * `Sforce-Auto-Assign: FALSE` on the request and on the Case subrequest keeps assignment rules
 * from replacing the owner (whether subrequests inherit the outer header is not documented).
 * With the default user as owner, the owner is the admin whose session sends the request: after
 * a failover to the next linked admin, the body is rebuilt with that admin as owner.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_create.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_autoassign.htm
 */
export async function createCase(
  api: SalesforceApi,
  input: CreateTicketInput,
  as?: SessionSource,
): Promise<CreateTicketResult> {
  const { settings } = api;
  const { event } = input;
  const key = contactKey(event.endUser);
  const [description, overflow] = fitDescription(input.description);
  const caseQuery = `SELECT Id, ContactId, OwnerId, Owner.Type, Owner.Name, Owner.Email, Owner.IsActive FROM Case WHERE ${settings.caseExternalIdField} = ${soqlString(event.interactionId)} LIMIT 1`;
  // The default user is the connection's own identity: whichever linked admin sends the write.
  const ownerFor = (session: ApiSession) =>
    input.ownerReason === 'default-user' && session.kind === 'admin' ? session.userId : input.owner.id;
  const compositeFor = (session: ApiSession) => ({
    allOrNone: false,
    compositeRequest: [
      ...(key === undefined
        ? []
        : [
            {
              method: 'POST',
              url: api.dataPath('/sobjects/Contact'),
              referenceId: 'contact',
              body: { [settings.contactExternalIdField]: key, ...contactFields(event.endUser) },
            },
          ]),
      {
        method: 'POST',
        url: api.dataPath('/sobjects/Case'),
        referenceId: 'case',
        httpHeaders: { 'Sforce-Auto-Assign': 'FALSE' },
        body: {
          Subject: clipText(input.subject, { limit: 255, unit: 'utf16-units' }),
          Description: description,
          Origin: settings.caseOrigins[event.channel],
          OwnerId: ownerFor(session),
          ...suppliedFields(event.endUser),
          ...(key === undefined ? {} : { Contact: { [settings.contactExternalIdField]: key } }),
          [settings.caseExternalIdField]: event.interactionId,
        },
      },
      {
        method: 'GET',
        url: api.dataPath(`/query?q=${encodeURIComponent(caseQuery)}`),
        referenceId: 'caseRecord',
      },
    ],
  });
  const response = await api.request({
    method: 'POST',
    resource: '/composite',
    operation: 'create case',
    headers: { 'Sforce-Auto-Assign': 'FALSE' },
    // Keyed by the interaction id: a repeat finds the Case (DUPLICATE_VALUE), never makes a second.
    idempotent: true,
    as,
    bodyFor: compositeFor,
  });
  const { session } = response;
  const ownerId = ownerFor(session);
  const composite = parseWriteAnswer(compositeSchema, response, 'create case');
  const results = new Map(composite.compositeResponse.map((result) => [result.referenceId, result]));
  const caseResult = results.get('case');
  if (caseResult === undefined) throw unexpectedAnswer('create case', 'no Case result');
  const record = ownedCaseQuerySchema.safeParse(results.get('caseRecord')?.body);
  const found = record.success ? record.data.records[0] : undefined;
  const created = caseResult.httpStatusCode === 201;
  if (!created && found === undefined) {
    const failure = (result: { httpStatusCode: number; body: unknown }, rejectedOwner?: string) =>
      subrequestError(
        {
          pluginId,
          status: result.httpStatusCode,
          data: result.body,
          method: 'POST',
          operation: 'create case',
          requestId: response.requestId,
          redact: api.redact,
        },
        rejectedOwner,
      );
    if (caseResult.httpStatusCode < 300) throw unexpectedAnswer('create case', 'no Case created or found');
    const caseError = failure(caseResult, ownerId);
    if (hasErrorCode(caseError, 'owner_rejected')) throw caseError;
    // A Contact that could not be created explains the Case failure better than "contact not found".
    const contactResult = results.get('contact');
    if (
      contactResult !== undefined &&
      contactResult.httpStatusCode >= 300 &&
      !isDuplicateKey(contactResult.body)
    ) {
      throw failure(contactResult);
    }
    throw caseError;
  }
  // Created now, or refused because the interaction's Case exists (DUPLICATE_VALUE, or any
  // refusal: the read-back found the Case, so it is the interaction's and it stays as it is).
  const createdAnswer = created ? createdSchema.safeParse(caseResult.body) : undefined;
  const id = found?.Id ?? (createdAnswer?.success === true ? createdAnswer.data.id : undefined);
  if (id === undefined) throw unexpectedAnswer('create case', 'no Case id');
  const ticket: TicketRef = {
    id,
    contactId: found?.ContactId ?? undefined,
    url: `${session.instanceUrl}/lightning/r/Case/${encodeURIComponent(id)}/view`,
  };
  let attempts = response.attempts;
  if (overflow !== '') {
    // A new Case gets its continuation; a Case that existed gets it only if it is missing (the
    // answer to the request that created it was lost before its Tasks were written).
    const written = await writeTasks(
      api,
      { caseId: id, contactId: ticket.contactId, title: continuedTitle, text: overflow },
      { onlyOnce: !created, as },
    );
    attempts += written.attempts;
  }
  const actualOwner = created
    ? ownerId === input.owner.id
      ? undefined
      : sessionUser(session)
    : ownerOf(found);
  return {
    ticket,
    created,
    attempts,
    owner: actualOwner,
    performer: session.userId === input.performer.id ? undefined : sessionUser(session),
  };
}

/** The owner of a Case read back with its `Owner` (a User or a queue); `undefined` when not returned. */
function ownerOf(record: z.infer<typeof ownedCaseSchema> | undefined): CrmUser | undefined {
  if (record?.OwnerId === undefined || record.OwnerId === null) return undefined;
  const queue = record.Owner?.Type === 'Queue';
  return {
    id: record.OwnerId,
    name: record.Owner?.Name ?? undefined,
    email: record.Owner?.Email?.toLowerCase() ?? undefined,
    // A queue can always own; a user's IsActive comes with the Owner, else it is not claimed.
    active: queue || record.Owner?.IsActive === true,
    role: queue ? 'queue' : undefined,
  };
}

/** Finds the Case of an interaction by its interaction id field. */
export async function findCase(api: SalesforceApi, interactionId: string): Promise<TicketRef | undefined> {
  const soql = `SELECT Id, ContactId FROM Case WHERE ${api.settings.caseExternalIdField} = ${soqlString(interactionId)} LIMIT 1`;
  const { records } = await api.query(soql, caseRecordSchema, 'find case', 1);
  const [found] = records;
  return found === undefined ? undefined : { id: found.Id, contactId: found.ContactId ?? undefined };
}

/**
 * Gives the Case to a new owner, assignment rules off.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_update_fields.htm
 */
export async function changeCaseOwner(
  api: SalesforceApi,
  input: ChangeOwnerInput,
  as?: SessionSource,
): Promise<WriteResult & { performer?: CrmUser | undefined }> {
  try {
    const response = await api.request({
      as,
      method: 'PATCH',
      resource: `/sobjects/Case/${encodeURIComponent(input.ticket.id)}`,
      operation: 'change case owner',
      headers: { 'Sforce-Auto-Assign': 'FALSE' },
      // Setting the same owner twice is harmless.
      idempotent: true,
      body: { OwnerId: input.owner.id },
    });
    return {
      attempts: response.attempts,
      performer: response.session.userId === input.performer.id ? undefined : sessionUser(response.session),
    };
  } catch (error) {
    throw asOwnerRejected(error, input.owner.id);
  }
}

/** The Description that fits (with a pointer to the rest), and the rest for Tasks. */
function fitDescription(text: string): [string, string] {
  if (text.length <= descriptionMaxLength) return [text, ''];
  const [first = ''] = splitText(text, {
    limit: descriptionMaxLength - continuedNote.length,
    unit: 'utf16-units',
    label: 'none',
  });
  return [`${first}${continuedNote}`, text.slice(first.length)];
}

function isDuplicateKey(body: unknown): boolean {
  return salesforceErrorsOf(body)?.every((error) => error.errorCode === 'DUPLICATE_VALUE') === true;
}
