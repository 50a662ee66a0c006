import { z } from 'zod';
import { type SalesforceApi, soqlString } from './salesforce-api.js';
import { subrequestError, unexpectedAnswer } from './salesforce-errors.js';

/**
 * Text written on a Case: a CaseComment when it fits (CommentBody holds 4,000 bytes), else
 * completed Tasks on the Case (Description holds 32,000 characters), split into as many parts as
 * needed. Nothing is ever cut short.
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_casecomment.htm
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm
 */

export const caseCommentMaxBytes = 4_000;
export const taskDescriptionMaxLength = 32_000;
/** sObject Collections take 200 records per request. */
const collectionMaxRecords = 200;

export interface CaseText {
  caseId: string;
  /** The Case's Contact, so the Tasks also show on the Contact. */
  contactId?: string | undefined;
  /** The Task subject; parts get "(2 of 3)". */
  title: string;
  text: string;
}

const createdSchema = z.object({ id: z.string(), success: z.literal(true) });

/** Adds text to a Case as an internal CaseComment, or as Tasks when it is too long for one. */
export async function addCaseText(api: SalesforceApi, input: CaseText): Promise<{ attempts: number }> {
  if (Buffer.byteLength(input.text, 'utf8') > caseCommentMaxBytes) return writeTasks(api, input);
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_create.htm
  // Not repeated automatically: Salesforce has no idempotency key, and a repeat would add a second comment.
  const response = await api.request({
    method: 'POST',
    resource: '/sobjects/CaseComment',
    operation: 'add case comment',
    body: { ParentId: input.caseId, CommentBody: input.text, IsPublished: false },
  });
  const parsed = createdSchema.safeParse(response.data);
  if (!parsed.success) throw unexpectedAnswer('add case comment', parsed.error);
  return { attempts: response.attempts };
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
 * `onlyOnce`, nothing is written when the first part's Task already exists on the Case.
 */
export async function writeTasks(
  api: SalesforceApi,
  input: CaseText,
  options: { onlyOnce?: boolean } = {},
): Promise<{ attempts: number }> {
  const parts = splitText(input.text, taskDescriptionMaxLength);
  const subjectOf = (index: number) =>
    parts.length === 1 ? input.title : `${input.title} (${index + 1} of ${parts.length})`;
  let attempts = 0;
  if (options.onlyOnce === true) {
    const soql = `SELECT Id FROM Task WHERE WhatId = ${soqlString(input.caseId)} AND Subject = ${soqlString(subjectOf(0))} LIMIT 1`;
    const existing = await api.query(soql, z.object({ Id: z.string() }), 'find earlier case text', 1);
    attempts += existing.attempts;
    if (existing.records.length > 0) return { attempts };
  }
  const tasks = parts.map((part, index) => ({
    attributes: { type: 'Task' },
    WhatId: input.caseId,
    ...(input.contactId === undefined ? {} : { WhoId: input.contactId }),
    Subject: subjectOf(index),
    Description: part,
    Status: 'Completed',
  }));
  for (let start = 0; start < tasks.length; start += collectionMaxRecords) {
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm
    const response = await api.request({
      method: 'POST',
      resource: '/composite/sobjects',
      operation: 'add case text as tasks',
      body: { allOrNone: true, records: tasks.slice(start, start + collectionMaxRecords) },
    });
    attempts += response.attempts;
    const parsed = collectionResultSchema.safeParse(response.data);
    if (!parsed.success) throw unexpectedAnswer('add case text as tasks', parsed.error);
    const failed = parsed.data.find((result) => !result.success && result.errors.length > 0);
    if (failed !== undefined) {
      throw subrequestError({
        pluginId: 'salesforce',
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
  return { attempts };
}

/**
 * Splits text into parts of at most `maxLength` characters, at a line break or a space near the
 * end of each part when there is one, never inside a surrogate pair. Joined, the parts are the text.
 */
export function splitText(text: string, maxLength: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > maxLength) {
    let cut = maxLength;
    const window = rest.slice(Math.floor(maxLength * 0.8), maxLength);
    const newline = window.lastIndexOf('\n');
    const space = window.lastIndexOf(' ');
    if (newline >= 0) cut = Math.floor(maxLength * 0.8) + newline + 1;
    else if (space >= 0) cut = Math.floor(maxLength * 0.8) + space + 1;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  parts.push(rest);
  return parts;
}
