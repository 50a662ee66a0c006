import {
  asOwnerRejected,
  type ChangeOwnerInput,
  type CreateTicketInput,
  type CreateTicketResult,
  clipText,
  hasErrorCode,
  splitText,
  type TicketRef,
  type WriteResult,
} from '@crm-connect/core';
import { z } from 'zod';
import { type SalesforceApi, soqlString } from './salesforce-api.js';
import { contactFields, contactKey, suppliedFields } from './salesforce-contacts.js';
import { parseAnswer, salesforceErrorsOf, subrequestError, unexpectedAnswer } from './salesforce-errors.js';
import { descriptionMaxLength, writeTasks } from './salesforce-notes.js';
import { pluginId } from './salesforce-plugin-id.js';

/**
 * Cases. One interaction is one Case, upserted by the interaction id held in a Case field the
 * admin creates (Text, Unique, External ID): a retried or redelivered create finds the same Case.
 */

const compositeSchema = z.object({
  compositeResponse: z.array(
    z.object({ referenceId: z.string(), httpStatusCode: z.number(), body: z.unknown() }),
  ),
});
const upsertSchema = z.object({ id: z.string(), success: z.boolean(), created: z.boolean().optional() });
const caseRecordSchema = z.object({ Id: z.string(), ContactId: z.string().nullish() });
const caseQuerySchema = z.object({ records: z.array(caseRecordSchema) });

/** Room left in Description for the note that says where the rest is. */
const continuedTitle = 'Case description (continued)';
const continuedNote = `\n\n[Continued in the completed Tasks "${continuedTitle}" on this case.]`;

/**
 * Creates (or finds) the Case of an interaction and its Contact in ONE composite request:
 *  1. `contact`: POST the Contact with its key. When a Contact with that key exists, the Unique
 *     key makes this fail with DUPLICATE_VALUE, which is expected: existing Contacts are never
 *     modified (an upsert would overwrite names and phones agents corrected).
 *  2. `case`: upsert the Case by interaction id, owned by `owner`, its Contact named by key
 *     (`Contact: { Key__c: … }`), so it does not depend on step 1 succeeding in this request.
 *  3. `caseRecord`: read the Case back (its id even when the upsert answers 204, its ContactId).
 * `allOrNone: false` lets step 2 run after the expected DUPLICATE_VALUE of step 1.
 * `Sforce-Auto-Assign: FALSE` on the request and on the Case subrequest keeps assignment rules
 * from replacing the owner (whether subrequests inherit the outer header is not documented).
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_autoassign.htm
 */
export async function createCase(api: SalesforceApi, input: CreateTicketInput): Promise<CreateTicketResult> {
  const { settings } = api;
  const { event } = input;
  const key = contactKey(event.endUser);
  const [description, overflow] = fitDescription(input.description);
  const caseQuery = `SELECT Id, ContactId FROM Case WHERE ${settings.caseExternalIdField} = ${soqlString(event.interactionId)} LIMIT 1`;
  const caseBody = {
    Subject: clipText(input.subject, { limit: 255, unit: 'utf16-units' }),
    Description: description,
    Origin: settings.caseOrigins[event.channel],
    OwnerId: input.owner.id,
    ...suppliedFields(event.endUser),
    ...(key === undefined ? {} : { Contact: { [settings.contactExternalIdField]: key } }),
  };
  const compositeRequest = [
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
      method: 'PATCH',
      url: api.dataPath(
        `/sobjects/Case/${settings.caseExternalIdField}/${encodeURIComponent(event.interactionId)}`,
      ),
      referenceId: 'case',
      httpHeaders: { 'Sforce-Auto-Assign': 'FALSE' },
      body: caseBody,
    },
    {
      method: 'GET',
      url: api.dataPath(`/query?q=${encodeURIComponent(caseQuery)}`),
      referenceId: 'caseRecord',
    },
  ];
  const response = await api.request({
    method: 'POST',
    resource: '/composite',
    operation: 'create case',
    headers: { 'Sforce-Auto-Assign': 'FALSE' },
    // Keyed by the interaction id: repeating it updates the same Case, never creates a second.
    idempotent: true,
    body: { allOrNone: false, compositeRequest },
  });
  const composite = parseAnswer(compositeSchema, response, 'create case');
  const results = new Map(composite.compositeResponse.map((result) => [result.referenceId, result]));
  const caseResult = results.get('case');
  if (caseResult === undefined) throw unexpectedAnswer('create case', 'no Case result');
  const failure = (result: { httpStatusCode: number; body: unknown }, ownerId?: string) =>
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
      ownerId,
    );
  if (caseResult.httpStatusCode >= 300) {
    const caseError = failure(caseResult, input.owner.id);
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
  const upsert = upsertSchema.safeParse(caseResult.body);
  const record = caseQuerySchema.safeParse(results.get('caseRecord')?.body);
  const found = record.success ? record.data.records[0] : undefined;
  const id = found?.Id ?? (upsert.success ? upsert.data.id : undefined);
  if (id === undefined) throw unexpectedAnswer('create case', 'no Case id');
  const ticket: TicketRef = {
    id,
    contactId: found?.ContactId ?? undefined,
    url: `${response.session.instanceUrl}/lightning/r/Case/${encodeURIComponent(id)}/view`,
  };
  let attempts = response.attempts;
  if (overflow !== '') {
    const written = await writeTasks(
      api,
      { caseId: id, contactId: ticket.contactId, title: continuedTitle, text: overflow },
      { onlyOnce: true },
    );
    attempts += written.attempts;
  }
  const created = caseResult.httpStatusCode === 201 || (upsert.success && upsert.data.created === true);
  return { ticket, created, attempts };
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
export async function changeCaseOwner(api: SalesforceApi, input: ChangeOwnerInput): Promise<WriteResult> {
  try {
    const response = await api.request({
      method: 'PATCH',
      resource: `/sobjects/Case/${encodeURIComponent(input.ticket.id)}`,
      operation: 'change case owner',
      headers: { 'Sforce-Auto-Assign': 'FALSE' },
      // Setting the same owner twice is harmless.
      idempotent: true,
      body: { OwnerId: input.owner.id },
    });
    return { attempts: response.attempts };
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
