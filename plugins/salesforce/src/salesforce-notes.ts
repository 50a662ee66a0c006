import { partLabel, splitText, textLength } from '@crm-connect/core';
import { z } from 'zod';
import { type SalesforceApi, soqlString } from './salesforce-api.js';
import { parseAnswer, subrequestError } from './salesforce-errors.js';
import { pluginId } from './salesforce-plugin-id.js';

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

/** Adds text to a Case as an internal CaseComment, or as Tasks when it is too long for one. */
export async function addCaseText(api: SalesforceApi, input: CaseText): Promise<{ attempts: number }> {
  if (textLength(input.text, 'utf8-bytes') > caseCommentMaxBytes) return writeTasks(api, input);
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_create.htm
  // Not repeated automatically: Salesforce has no idempotency key, and a repeat would add a second comment.
  const response = await api.request({
    method: 'POST',
    resource: '/sobjects/CaseComment',
    operation: 'add case comment',
    body: { ParentId: input.caseId, CommentBody: input.text, IsPublished: false },
  });
  parseAnswer(createdSchema, response, 'add case comment');
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
  // The label goes in the subject, so a Task's Description is the text alone.
  const parts = splitText(input.text, { limit: descriptionMaxLength, unit: 'utf16-units', label: 'none' });
  const subjectOf = (index: number) =>
    parts.length === 1 ? input.title : `${input.title} ${partLabel(index + 1, parts.length)}`;
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
  return { attempts };
}
