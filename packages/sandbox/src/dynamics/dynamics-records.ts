import { json, type SandboxRequest, type SandboxResponse } from '../http-exchange.js';
import type { Route } from '../routes.js';
import { type Caller, hasPrivilege, privilegeMissing, withCaller } from './dynamics-auth.js';
import { parseSelect, project, queryCollection } from './dynamics-odata.js';
import type { AnnotationRecord, ContactRecord, DynamicsStore, IncidentRecord } from './dynamics-store.js';
import { guids } from './dynamics-store.js';
import {
  annotationRow,
  answering,
  attributes,
  boundId,
  contactRow,
  dataverseCodes,
  doesNotExist,
  entityIdHeader,
  incidentRow,
  odataError,
  webApiPath,
} from './dynamics-wire.js';

/**
 * Contacts, cases (`incidents`) and notes (`annotations`): queries, create (the case with its new
 * contact in one request: deep insert), assign (PATCH `ownerid`), and reads by id. A client may
 * choose a record's primary key; creating a second record with the same key is refused as a
 * duplicate (412 `0x80040237`), which is what makes the plugin's retried creates safe.
 * `Prefer: return=representation` answers 201 with the record, otherwise 204 with `OData-EntityId`.
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api
 */

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks one attribute of a payload; returns what is wrong with it, if anything. */
type Check = (value: unknown) => string | undefined;

const text =
  (maxLength: number): Check =>
  (value) => {
    if (value === null || value === undefined) return undefined;
    if (typeof value !== 'string') return 'type';
    return value.length > maxLength ? `length:${maxLength}` : undefined;
  };
const guid: Check = (value) => (typeof value === 'string' && guidPattern.test(value) ? undefined : 'type');
const wholeNumber: Check = (value) =>
  value === null || (typeof value === 'number' && Number.isInteger(value)) ? undefined : 'type';
const bind =
  (set: string): Check =>
  (value) =>
    boundId(value, set) === undefined ? 'bind' : undefined;
const nested: Check = (value) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : 'type';

/** Attribute → check, per payload: anything else is refused, as Dataverse refuses undeclared properties. */
const contactPayload: Record<string, Check> = {
  contactid: guid,
  firstname: text(50),
  lastname: text(50),
  emailaddress1: text(100),
  mobilephone: text(50),
  telephone1: text(50),
  'ownerid@odata.bind': bind('systemusers'),
};
const incidentPayload: Record<string, Check> = {
  incidentid: guid,
  title: text(200),
  description: text(2_000),
  caseorigincode: wholeNumber,
  'ownerid@odata.bind': bind('systemusers'),
  'customerid_contact@odata.bind': bind('contacts'),
  customerid_contact: nested,
};
const incidentUpdatePayload: Record<string, Check> = {
  title: text(200),
  description: text(2_000),
  caseorigincode: wholeNumber,
  'ownerid@odata.bind': bind('systemusers'),
};
const annotationPayload: Record<string, Check> = {
  annotationid: guid,
  subject: text(500),
  notetext: text(100_000),
  'objectid_incident@odata.bind': bind('incidents'),
  'ownerid@odata.bind': bind('systemusers'),
};

/** A value, or the answer that refuses it. */
type Checked<T> = { ok: true; value: T } | { ok: false; response: SandboxResponse };
const refuse = (response: SandboxResponse): { ok: false; response: SandboxResponse } => ({
  ok: false,
  response,
});

/** The payload as an object, or Dataverse's 400 naming the first attribute it refuses. */
function checkPayload(
  body: unknown,
  checks: Record<string, Check>,
  entity: string,
): Checked<Record<string, unknown>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return refuse(
      odataError(400, dataverseCodes.badPayload, `The request body of '${entity}' must be a JSON object.`),
    );
  }
  for (const [name, value] of Object.entries(body)) {
    const check = checks[name];
    if (check === undefined) {
      return refuse(
        odataError(
          400,
          dataverseCodes.badPayload,
          `Error identified in Payload provided by the user for Entity :'${entity}'. The property '${name}' does not exist on type 'Microsoft.Dynamics.CRM.${entity}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
        ),
      );
    }
    const problem = check(value);
    if (problem?.startsWith('length:')) {
      return refuse(
        odataError(
          400,
          dataverseCodes.validation,
          `A validation error occurred. The length of the '${name}' attribute of the '${entity}' entity exceeded the maximum allowed length of '${problem.slice('length:'.length)}'.`,
        ),
      );
    }
    if (problem !== undefined) {
      return refuse(
        odataError(
          400,
          dataverseCodes.badPayload,
          `Error identified in Payload provided by the user for Entity :'${entity}'. Cannot convert the value of '${name}' to the type of this property.`,
        ),
      );
    }
  }
  return { ok: true, value: body as Record<string, unknown> };
}

export function recordRoutes(store: DynamicsStore, clock: () => number): Route[] {
  const now = () => new Date(clock()).toISOString().replace(/\.\d+Z$/, 'Z');
  const newContactId = guids('c0a7c700');
  const newIncidentId = guids('1c1de700');
  const newAnnotationId = guids('a0b07e00');

  /** The owner an `ownerid@odata.bind` names (the caller's user when absent), or why it cannot own records. */
  function ownerOf(bound: unknown, caller: Caller): string | SandboxResponse {
    if (bound === undefined) return caller.actor.systemuserid;
    const id = boundId(bound, 'systemusers') ?? '';
    const owner = store.systemUsers.get(id);
    if (owner === undefined) return doesNotExist('systemuser', id);
    if (owner.isdisabled) {
      return odataError(400, dataverseCodes.userDisabled, `The specified user(Id = ${id}) is disabled.`);
    }
    return owner.systemuserid;
  }

  /** Creator, owner and time of a new record: impersonated writes keep the application user as `createdonbehalfby`. */
  function ownership(caller: Caller, ownerId: string) {
    const time = now();
    const impersonated = caller.actor.systemuserid !== caller.applicationUser.systemuserid;
    return {
      _ownerid_value: ownerId,
      _createdby_value: caller.actor.systemuserid,
      _createdonbehalfby_value: impersonated ? caller.applicationUser.systemuserid : null,
      _modifiedby_value: caller.actor.systemuserid,
      createdon: time,
      modifiedon: time,
      versionnumber: store.nextVersion(),
    };
  }

  const duplicateKey = () =>
    odataError(412, dataverseCodes.duplicateKey, 'A record with matching key values already exists.');

  /** 201 with the record (`Prefer: return=representation`, `$select` applied), else 204; both name it in `OData-EntityId`. */
  function created(
    request: SandboxRequest,
    set: string,
    id: string,
    row: Record<string, unknown>,
    names: ReadonlySet<string>,
    type: string,
  ): SandboxResponse {
    const headers = entityIdHeader(request, set, id);
    if (!/return=representation/i.test(request.headers.prefer ?? '')) return { status: 204, headers };
    const select = parseSelect(request.query.get('$select'), names, type);
    return json(
      201,
      {
        '@odata.context': `${request.origin}${webApiPath}/$metadata#${set}${select === undefined ? '' : `(${select.join(',')})`}/$entity`,
        ...project(row, select),
      },
      { ...headers, 'Preference-Applied': 'return=representation' },
    );
  }

  /** The new contact of a deep insert, not yet stored, or why it is refused. */
  function newContact(input: unknown, caller: Caller): Checked<ContactRecord> {
    if (!hasPrivilege(store, caller.actor, 'prvCreateContact')) {
      return refuse(privilegeMissing(caller.actor, 'prvCreateContact', 'contact'));
    }
    const checked = checkPayload(input, contactPayload, 'contact');
    if (!checked.ok) return checked;
    const payload = checked.value;
    const contactid = (payload.contactid as string | undefined)?.toLowerCase() ?? newContactId();
    if (store.contacts.get(contactid) !== undefined) return refuse(duplicateKey());
    const owner = ownerOf(payload['ownerid@odata.bind'], caller);
    if (typeof owner !== 'string') return refuse(owner);
    const firstname = (payload.firstname as string | null | undefined) ?? null;
    // A last name (like a case's title) is "business required": forms insist, the Web API does not.
    const lastname = (payload.lastname as string | null | undefined) ?? null;
    const contact: ContactRecord = {
      id: contactid,
      contactid,
      firstname,
      lastname,
      fullname: [firstname, lastname].filter((part) => part !== null).join(' '),
      emailaddress1: (payload.emailaddress1 as string | null | undefined) ?? null,
      mobilephone: (payload.mobilephone as string | null | undefined) ?? null,
      telephone1: (payload.telephone1 as string | null | undefined) ?? null,
      statecode: 0,
      statuscode: 1,
      ...ownership(caller, owner),
    };
    return { ok: true, value: contact };
  }

  const list = (
    name: string,
    set: string,
    type: keyof typeof attributes,
    privilege: string,
    rows: () => Record<string, unknown>[],
  ): Route => ({
    method: 'GET',
    path: `${webApiPath}/${set}`,
    name,
    handler: withCaller(store, clock, { privilege, entity: type }, (request) =>
      answering(() => {
        const { body, headers } = queryCollection(request, rows(), {
          type,
          set,
          attributes: attributes[type],
        });
        return json(200, body, headers);
      }),
    ),
  });

  const show = <TRecord>(
    name: string,
    set: string,
    type: keyof typeof attributes,
    privilege: string,
    find: (id: string) => TRecord | undefined,
    toRow: (record: TRecord) => Record<string, unknown>,
  ): Route => ({
    method: 'GET',
    path: `${webApiPath}/${set}(:id)`,
    name,
    handler: withCaller(store, clock, { privilege, entity: type }, (request, { params }) =>
      answering(() => {
        const record = find((params.id ?? '').toLowerCase());
        if (record === undefined) return doesNotExist(type, params.id ?? '');
        const select = parseSelect(request.query.get('$select'), attributes[type], type);
        return json(200, {
          '@odata.context': `${request.origin}${webApiPath}/$metadata#${set}${select === undefined ? '' : `(${select.join(',')})`}/$entity`,
          ...project(toRow(record), select),
        });
      }),
    ),
  });

  return [
    list('contacts.list', 'contacts', 'contact', 'prvReadContact', () =>
      store.contacts.all().map(contactRow),
    ),
    show(
      'contacts.show',
      'contacts',
      'contact',
      'prvReadContact',
      (id) => store.contacts.get(id),
      contactRow,
    ),
    list('incidents.list', 'incidents', 'incident', 'prvReadIncident', () =>
      store.incidents.all().map(incidentRow),
    ),
    show(
      'incidents.show',
      'incidents',
      'incident',
      'prvReadIncident',
      (id) => store.incidents.get(id),
      incidentRow,
    ),
    {
      method: 'POST',
      path: `${webApiPath}/incidents`,
      name: 'incidents.create',
      handler: withCaller(
        store,
        clock,
        { privilege: 'prvCreateIncident', entity: 'incident' },
        (request, { caller }) =>
          answering(() => {
            const checked = checkPayload(request.body, incidentPayload, 'incident');
            if (!checked.ok) return checked.response;
            const payload = checked.value;
            const incidentid = (payload.incidentid as string | undefined)?.toLowerCase() ?? newIncidentId();
            if (store.incidents.get(incidentid) !== undefined) return duplicateKey();
            const owner = ownerOf(payload['ownerid@odata.bind'], caller);
            if (typeof owner !== 'string') return owner;
            // Everything is checked before anything is stored: a refused deep insert leaves no contact behind.
            let contact: ContactRecord | undefined;
            let customerId: string;
            const boundContact = payload['customerid_contact@odata.bind'];
            if (payload.customerid_contact !== undefined) {
              const made = newContact(payload.customerid_contact, caller);
              if (!made.ok) return made.response;
              contact = made.value;
              customerId = made.value.contactid;
            } else if (boundContact !== undefined) {
              customerId = boundId(boundContact, 'contacts') ?? '';
              if (store.contacts.get(customerId) === undefined) return doesNotExist('contact', customerId);
            } else {
              return odataError(
                400,
                dataverseCodes.validation,
                "A validation error occurred. The value of 'customerid' on record of type 'incident' is outside the valid range: a case needs a customer (customerid_contact or customerid_account).",
              );
            }
            if (contact !== undefined) store.contacts.insert(contact);
            const incident: IncidentRecord = store.incidents.insert({
              id: incidentid,
              incidentid,
              title: (payload.title as string | null | undefined) ?? null,
              description: (payload.description as string | null | undefined) ?? null,
              caseorigincode: (payload.caseorigincode as number | null | undefined) ?? null,
              ticketnumber: store.nextTicketNumber(),
              statecode: 0,
              statuscode: 1,
              _customerid_value: customerId,
              ...ownership(caller, owner),
            });
            return created(
              request,
              'incidents',
              incidentid,
              incidentRow(incident),
              attributes.incident,
              'incident',
            );
          }),
      ),
    },
    {
      method: 'PATCH',
      path: `${webApiPath}/incidents(:id)`,
      name: 'incidents.update',
      handler: withCaller(store, clock, undefined, (request, { params, caller }) => {
        const current = store.incidents.get((params.id ?? '').toLowerCase());
        // The sandbox never upserts: a PATCH of a missing case is a 404, with or without If-Match: *.
        if (current === undefined) return doesNotExist('incident', params.id ?? '');
        // If-None-Match: * makes the PATCH a create only ("prevent update in upsert"): an existing record is left as it is.
        // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
        if (request.headers['if-none-match']?.trim() === '*') return duplicateKey();
        const ifMatch = request.headers['if-match'];
        if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== `W/"${current.versionnumber}"`) {
          return odataError(
            412,
            '0x80060882',
            "The version of the existing record doesn't match the RowVersion property provided.",
          );
        }
        const checked = checkPayload(request.body, incidentUpdatePayload, 'incident');
        if (!checked.ok) return checked.response;
        const payload = checked.value;
        const assigns = payload['ownerid@odata.bind'] !== undefined;
        const writes = Object.keys(payload).some((name) => name !== 'ownerid@odata.bind');
        if (assigns && !hasPrivilege(store, caller.actor, 'prvAssignIncident')) {
          return privilegeMissing(caller.actor, 'prvAssignIncident', 'incident');
        }
        if (writes && !hasPrivilege(store, caller.actor, 'prvWriteIncident')) {
          return privilegeMissing(caller.actor, 'prvWriteIncident', 'incident');
        }
        const owner = assigns ? ownerOf(payload['ownerid@odata.bind'], caller) : current._ownerid_value;
        if (typeof owner !== 'string') return owner;
        store.incidents.update(current.id, {
          ...(payload.title === undefined ? {} : { title: payload.title as string | null }),
          ...(payload.description === undefined ? {} : { description: payload.description as string | null }),
          ...(payload.caseorigincode === undefined
            ? {}
            : { caseorigincode: payload.caseorigincode as number | null }),
          _ownerid_value: owner,
          _modifiedby_value: caller.actor.systemuserid,
          modifiedon: now(),
          versionnumber: store.nextVersion(),
        });
        return { status: 204, headers: entityIdHeader(request, 'incidents', current.incidentid) };
      }),
    },
    list('annotations.list', 'annotations', 'annotation', 'prvReadNote', () =>
      store.annotations.all().map(annotationRow),
    ),
    show(
      'annotations.show',
      'annotations',
      'annotation',
      'prvReadNote',
      (id) => store.annotations.get(id),
      annotationRow,
    ),
    {
      method: 'POST',
      path: `${webApiPath}/annotations`,
      name: 'annotations.create',
      handler: withCaller(
        store,
        clock,
        { privilege: 'prvCreateNote', entity: 'annotation' },
        (request, { caller }) =>
          answering(() => {
            const checked = checkPayload(request.body, annotationPayload, 'annotation');
            if (!checked.ok) return checked.response;
            const payload = checked.value;
            const annotationid =
              (payload.annotationid as string | undefined)?.toLowerCase() ?? newAnnotationId();
            if (store.annotations.get(annotationid) !== undefined) return duplicateKey();
            const incidentId = boundId(payload['objectid_incident@odata.bind'], 'incidents');
            if (incidentId === undefined) {
              return odataError(
                400,
                dataverseCodes.validation,
                "A validation error occurred. A note needs the record it is about ('objectid_incident@odata.bind').",
              );
            }
            if (store.incidents.get(incidentId) === undefined) return doesNotExist('incident', incidentId);
            const owner = ownerOf(payload['ownerid@odata.bind'], caller);
            if (typeof owner !== 'string') return owner;
            const annotation: AnnotationRecord = store.annotations.insert({
              id: annotationid,
              annotationid,
              subject: (payload.subject as string | null | undefined) ?? null,
              notetext: (payload.notetext as string | null | undefined) ?? null,
              _objectid_value: incidentId,
              objecttypecode: 'incident',
              ...ownership(caller, owner),
            });
            return created(
              request,
              'annotations',
              annotationid,
              annotationRow(annotation),
              attributes.annotation,
              'annotation',
            );
          }),
      ),
    },
  ];
}
