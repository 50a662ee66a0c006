import { clipText, isCrmConnectError, partLabel, splitText } from '@crm-connect/core';
import { type DynamicsApi, freshRead, jsonWrite, key } from './dynamics-client.js';
import { isDuplicateRefusal } from './dynamics-errors.js';
import { annotationIdFor } from './dynamics-ids.js';

/**
 * Notes (annotations) on a case. A text longer than one note holds is split into several notes,
 * never cut, their subjects labelled "(part i of n)". Each part has an id derived from the note's
 * key, so a retried or redelivered note finds its earlier copy instead of adding a second one.
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/annotation
 */

/** annotation.notetext MaxLength, per the annotation table reference: Dataverse counts UTF-16 code units. */
export const noteTextLimit = 100_000;
/** annotation.subject holds 500 characters; ours stay well below. */
const subjectLimit = 200;

export interface NoteInput {
  incidentId: string;
  subject: string;
  text: string;
  /** Identifies this note's content; the same key and text always give the same note ids. */
  key: string;
  /** Notes are owned like any record: never left to a default. */
  ownerId: string;
  /** Impersonation headers of the performer, if any. */
  headers: Readonly<Record<string, string>>;
}

export interface NoteWriteResult {
  /** HTTP attempts it took, the lookups after a duplicate refusal included. */
  attempts: number;
  /** False when every part was there before this call (refused as a duplicate on its first attempt). */
  written: boolean;
}

/**
 * Writes the note (in parts when long). A part refused as a duplicate on its first attempt was
 * there before this call (a redelivery); refused only on a retry, it was written by this call's
 * own earlier attempt, whose answer was lost.
 */
export async function writeNote(api: DynamicsApi, note: NoteInput): Promise<NoteWriteResult> {
  // The label goes in the subject, so the note's text is the transcript alone.
  const parts = splitText(note.text, { limit: noteTextLimit, unit: 'utf16-units', label: 'none' });
  let attempts = 0;
  let written = false;
  for (const [index, text] of parts.entries()) {
    const annotationid = annotationIdFor(note.key, index);
    const subject =
      parts.length === 1 ? note.subject : `${note.subject} ${partLabel(index + 1, parts.length)}`;
    const body = {
      annotationid,
      subject: clipText(subject, { limit: subjectLimit, unit: 'utf16-units' }),
      notetext: text,
      'objectid_incident@odata.bind': `/incidents(${note.incidentId})`,
      'ownerid@odata.bind': `/systemusers(${note.ownerId})`,
    };
    try {
      // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api
      const response = await api.http.request({
        method: 'POST',
        path: 'annotations',
        body,
        headers: { ...jsonWrite, ...note.headers },
        operation: 'add note',
        // The client-chosen annotationid makes a repeat fail as a duplicate instead of adding a note.
        idempotent: true,
      });
      attempts += response.attempts;
      written = true;
    } catch (error) {
      const existing = await existingNote(api, annotationid, error).catch(() => false);
      if (!existing) throw error;
      const tries = isCrmConnectError(error) ? (error.attempts ?? 1) : 1;
      attempts += tries + 1;
      if (tries > 1) written = true;
    }
  }
  return { attempts, written };
}

/** After a refused create: true when the part is already there (an earlier attempt committed it). */
async function existingNote(api: DynamicsApi, annotationid: string, error: unknown): Promise<boolean> {
  if (!isDuplicateRefusal(error)) return false;
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api
  const response = await api.http.request({
    method: 'GET',
    path: `annotations(${key(annotationid)})?$select=annotationid`,
    headers: freshRead,
    operation: 'find note',
    acceptStatus: [404],
  });
  return response.status === 200;
}
