import { createHash } from 'node:crypto';
import { type CrmUser, partLabel, splitText, textLength } from '@crm-connect/core';
import { z } from 'zod';
import { type SalesforceApi, soqlString } from './salesforce-api.js';
import { parseAnswer, parseWriteAnswer, subrequestError } from './salesforce-errors.js';
import { pluginId } from './salesforce-plugin-id.js';
import { type ApiSession, type SessionSource, sessionUser } from './salesforce-sessions.js';

/**
 * Text written on a Case: a CaseComment when it fits (CommentBody holds 4,000 bytes), else
 * completed Tasks on the Case (Description holds 32,000 characters, which Salesforce counts in
 * UTF-16 code units), split into as many parts as needed, their subjects labelled
 * "(part i of n)". Nothing is ever cut short.
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_casecomment.htm
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm
 */

export const caseCommentMaxBytes = 4_000;
/** Task.Description and Case.Description hold the same 32,000 characters. */
export const descriptionMaxLength = 32_000;
/** sObject Collections take 200 records per request. */
const collectionMaxRecords = 200;

export interface CaseText {
  caseId: string;
  /** The Case's Contact, so the Tasks also show on the Contact. */
  contactId?: string | undefined;
  /** The Task subject; parts get "(part 2 of 3)". */
  title: string;
  text: string;
}

const createdSchema = z.object({ id: z.string(), success: z.literal(true) });
const commentSchema = z.object({ Id: z.string(), CommentBody: z.string().nullish() });
const taskSchema = z.object({ Id: z.string(), Subject: z.string().nullish() });

export interface CaseTextOptions {
  /**
   * The text may be on the Case already (an earlier attempt's answer was lost, or the Case was
   * found rather than created here): look first, and write only what is missing.
   */
  mayExist?: boolean | undefined;
  /** Whose session writes it. Default: the linked admins. Lookups are always made as the admin. */
  as?: SessionSource | undefined;
}

export interface CaseTextResult {
  attempts: number;
  /** False when all of it was found on the Case, so nothing was written. */
  written: boolean;
  /** Whose session wrote it, when something was written. */
  performer?: CrmUser | undefined;
}

/**
 * Adds text to a Case as an internal CaseComment, or as Tasks when it is too long for one.
 * With `mayExist`, a CaseComment is looked up among the Case's comments by its text (a
 * CaseComment has no external id; the note's text is what its idempotency key is derived from,
 * so the same text on the same Case is the same note), and Tasks by their subjects, which carry
 * a tag of the note's key and the part number: only missing parts are written.
 */
export async function addCaseText(
  api: SalesforceApi,
  input: CaseText,
  options: CaseTextOptions = {},
): Promise<CaseTextResult> {
  if (textLength(input.text, 'utf8-bytes') > caseCommentMaxBytes) {
    return writeTasks(api, input, { missingOnly: options.mayExist === true, as: options.as });
  }
  let attempts = 0;
  if (options.mayExist === true) {
    // https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm
    // CommentBody cannot be filtered on in SOQL (a text area): the Case's comments are compared here.
    const soql = `SELECT Id, CommentBody FROM CaseComment WHERE ParentId = ${soqlString(input.caseId)}`;
    const existing = await api.query(soql, commentSchema, 'find the note on the case');
    attempts += existing.attempts;
    if (existing.records.some((comment) => sameText(comment.CommentBody, input.text))) {
      return { attempts, written: false };
    }
  }
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_create.htm
  // Not repeated automatically: Salesforce has no idempotency key, and a repeat would add a second
  // comment. A lost answer is the connector's to handle: it asks again with `mayExist`.
  const response = await api.request({
    method: 'POST',
    resource: '/sobjects/CaseComment',
    operation: 'add case comment',
    as: options.as,
    body: { ParentId: input.caseId, CommentBody: input.text, IsPublished: false },
  });
  parseWriteAnswer(createdSchema, response, 'add case comment');
  return { attempts: attempts + response.attempts, written: true, ...performedBy(response.session) };
}

const collectionResultSchema = z.array(
  z.object({
    id: z.string().nullish(),
    success: z.boolean(),
    errors: z
      .array(
        z.object({ statusCode: z.string(), message: z.string(), fields: z.array(z.string()).optional() }),
      )
      .default([]),
  }),
);

/**
 * Writes text as completed Tasks on the Case, each part in one all-or-none request. With
 * `onlyOnce`, nothing is written when the first part's Task already exists on the Case; with
 * `missingOnly`, the parts whose Task exists (by subject) are left out.
 */
export async function writeTasks(
  api: SalesforceApi,
  input: CaseText,
  options: { onlyOnce?: boolean; missingOnly?: boolean; as?: SessionSource | undefined } = {},
): Promise<CaseTextResult> {
  // The label goes in the subject, so a Task's Description is the text alone.
  const parts = splitText(input.text, { limit: descriptionMaxLength, unit: 'utf16-units', label: 'none' });
  const subjectOf = (index: number) =>
    parts.length === 1 ? input.title : `${input.title} ${partLabel(index + 1, parts.length)}`;
  let attempts = 0;
  let wanted = parts.map((part, index) => ({ part, subject: subjectOf(index) }));
  if (options.onlyOnce === true) {
    const soql = `SELECT Id FROM Task WHERE WhatId = ${soqlString(input.caseId)} AND Subject = ${soqlString(subjectOf(0))} LIMIT 1`;
    const existing = await api.query(soql, z.object({ Id: z.string() }), 'find earlier case text', 1);
    attempts += existing.attempts;
    if (existing.records.length > 0) return { attempts, written: false };
  } else if (options.missingOnly === true) {
    const soql = `SELECT Id, Subject FROM Task WHERE WhatId = ${soqlString(input.caseId)}`;
    const existing = await api.query(soql, taskSchema, 'find the note on the case');
    attempts += existing.attempts;
    const subjects = new Set(existing.records.map((task) => task.Subject));
    wanted = wanted.filter((task) => !subjects.has(task.subject));
    if (wanted.length === 0) return { attempts, written: false };
  }
  const tasks = wanted.map(({ part, subject }) => ({
    attributes: { type: 'Task' },
    WhatId: input.caseId,
    ...(input.contactId === undefined ? {} : { WhoId: input.contactId }),
    Subject: subject,
    Description: part,
    Status: 'Completed',
  }));
  let performer: { performer?: CrmUser } = {};
  for (let start = 0; start < tasks.length; start += collectionMaxRecords) {
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm
    const response = await api.request({
      method: 'POST',
      resource: '/composite/sobjects',
      operation: 'add case text as tasks',
      as: options.as,
      body: { allOrNone: true, records: tasks.slice(start, start + collectionMaxRecords) },
    });
    attempts += response.attempts;
    performer = performedBy(response.session);
    const results = parseAnswer(collectionResultSchema, response, 'add case text as tasks');
    const failed = results.find((result) => !result.success && result.errors.length > 0);
    if (failed !== undefined) {
      throw subrequestError({
        pluginId,
        status: 400,
        data: failed.errors.map((error) => ({
          errorCode: error.statusCode,
          message: error.message,
          fields: error.fields,
        })),
        method: 'POST',
        operation: 'add case text as tasks',
        requestId: response.requestId,
        redact: api.redact,
      });
    }
  }
  return { attempts, written: true, ...performer };
}

/** A short tag of a note's idempotency key, for Task subjects: the same note always has the same tag. */
export function noteTag(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 8);
}

/** The same text as Salesforce stores it back (line endings may come back as CRLF, ends trimmed). */
function sameText(stored: string | null | undefined, text: string): boolean {
  const normal = (value: string) => value.replace(/\r\n?/g, '\n').trim();
  return stored !== null && stored !== undefined && normal(stored) === normal(text);
}

/** Who wrote it, from the session that sent the write (an admin after an agent's fallback). */
function performedBy(session: ApiSession): { performer?: CrmUser } {
  return { performer: sessionUser(session) };
}
