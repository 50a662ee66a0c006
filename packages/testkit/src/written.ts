import {
  endNote,
  type InteractionEvent,
  type OpeningEvent,
  type PluginSettingsSchema,
  ticketDescription,
  ticketSubject,
} from '@crm-connect/core';
import type {
  CapturedRequest,
  ConformanceFixture,
  ExpectedRequest,
  Matcher,
  WriteDeclarations,
  WriteExpectation,
} from './fixture.js';

/** A write operation a fixture declares requests for. */
export type WriteOperationName = keyof WriteDeclarations;

/** A declared request and the captured requests it stands for (its attempts, when retries are allowed). */
export interface MatchedRequest {
  declared: ExpectedRequest;
  requests: CapturedRequest[];
}

/** What each declaration must name at least once, per operation. */
const requiredRoles: Record<WriteOperationName, ReadonlyArray<keyof ExpectedRequest>> = {
  createTicket: ['owner', 'subject', 'content', 'idempotencyKey'],
  changeOwner: ['owner'],
  addNote: ['content', 'visibility'],
};

/**
 * Checks the writes one operation sent against the fixture's declarations for it, and fails with
 * every difference at once: a declared request missing, a write nobody declared, a header or body
 * field that does not match, the content, subject, owner, performer, interaction id, key or
 * visibility not what the connector handed the plugin. With `retries`, further writes to the same
 * method and path right after a declared one are its attempts, each checked (a 429 retried, a
 * redelivery). With `partial`, declared requests may be missing (a redelivery finishing what an
 * earlier delivery began). With `split`, the text is longer than one write holds: the declared
 * content holds its first part, the rest goes in further writes the declarations need not name.
 * Returns the matches, for comparing keys across deliveries.
 */
export function expectWritten<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  operation: WriteOperationName,
  writes: readonly CapturedRequest[],
  expected: WriteExpectation,
  options: { retries?: boolean; partial?: boolean; split?: boolean } = {},
): MatchedRequest[] {
  const declared = fixture.writes[operation](expected);
  const problems: string[] = [];
  for (const role of requiredRoles[operation]) {
    if (!declared.some((request) => request[role] !== undefined))
      problems.push(`the fixture's writes.${operation} declares no request with its ${String(role)}`);
  }
  const matched: MatchedRequest[] = [];
  let next = 0;
  for (const request of declared) {
    const index = writes.findIndex((write, at) => at >= next && sameEndpoint(request, write));
    if (index === -1) {
      if (request.optional !== true && options.partial !== true)
        problems.push(`${request.label}: no ${request.method} ${String(request.path)} was sent`);
      continue;
    }
    const attempts = [writes[index] as CapturedRequest];
    next = index + 1;
    while (options.retries === true && next < writes.length && sameEndpoint(request, writes[next])) {
      attempts.push(writes[next] as CapturedRequest);
      next += 1;
    }
    matched.push({ declared: request, requests: attempts });
    for (const write of attempts)
      problems.push(...check(fixture, operation, request, write, expected, options.split === true));
  }
  const used = new Set(matched.flatMap((match) => match.requests));
  for (const write of writes) {
    if (!used.has(write) && options.split !== true)
      problems.push(
        `a write the fixture's writes.${operation} does not declare: ${write.method} ${write.path}`,
      );
  }
  if (problems.length > 0)
    throw new Error(
      `What the CRM received for ${operation} is not what the fixture's writes.${operation} declares:\n${problems.map((problem) => `- ${problem}`).join('\n')}`,
    );
  return matched;
}

/** The idempotency key each matched request carried, by label (the first attempt's). */
export function keysOf(matches: readonly MatchedRequest[]): Map<string, unknown[]> {
  const keys = new Map<string, unknown[]>();
  for (const { declared, requests } of matches) {
    const keyOf = declared.idempotencyKey;
    if (keyOf !== undefined) keys.set(declared.label, requests.map(keyOf));
  }
  return keys;
}

/** The write goes to the declared method and path. */
export function sameEndpoint(request: ExpectedRequest, write: CapturedRequest | undefined): boolean {
  if (write === undefined || write.method !== request.method) return false;
  const path = write.path.split('?')[0] ?? '';
  return typeof request.path === 'string' ? path === request.path : request.path.test(path);
}

/** The differences between one captured request and its declaration. */
function check<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  operation: WriteOperationName,
  request: ExpectedRequest,
  write: CapturedRequest,
  expected: WriteExpectation,
  split: boolean,
): string[] {
  const problems: string[] = [];
  const where = `${request.label} (${write.method} ${write.path})`;
  const query = new URLSearchParams(write.path.split('?')[1] ?? '');
  for (const [name, matcher] of Object.entries(request.query ?? {})) {
    for (const problem of mismatches(query.get(name) ?? undefined, matcher, `query ${name}`))
      problems.push(`${where}: ${problem}`);
  }
  for (const [name, matcher] of Object.entries(request.headers ?? {})) {
    for (const problem of mismatches(write.headers[name], matcher, `header ${name}`))
      problems.push(`${where}: ${problem}`);
  }
  if (request.bodyFields !== undefined) {
    const sent = write.body !== null && typeof write.body === 'object' ? Object.keys(write.body).sort() : [];
    const wanted = [...request.bodyFields].sort();
    if (sent.join('\n') !== wanted.join('\n'))
      problems.push(`${where}: the body's fields are ${show(sent)}, expected exactly ${show(wanted)}`);
  }
  if (request.body !== undefined) {
    for (const problem of mismatches(write.body, request.body, 'body')) problems.push(`${where}: ${problem}`);
  }
  const role = (
    name: string,
    of: ((r: CapturedRequest) => unknown) | undefined,
    ok: (value: unknown) => boolean,
    want: string,
  ) => {
    if (of === undefined) return;
    const value = of(write);
    if (!ok(value)) problems.push(`${where}: its ${name} is ${show(value)}, expected ${want}`);
  };
  const text = expectedText(operation, expected.event);
  if (text !== undefined && !split)
    role(
      'content',
      request.content,
      (value) => typeof value === 'string' && normalise(value) === text,
      `the text the connector handed over, whole and alone (${show(text)})`,
    );
  if (operation === 'createTicket') {
    const subject = ticketSubject(expected.event as OpeningEvent);
    role('subject', request.subject, (value) => value === subject, show(subject));
  }
  if (expected.owner !== undefined) {
    const ownerId = expected.owner.id;
    role(
      'owner',
      request.owner,
      (value) => value === ownerId,
      `${show(ownerId)} (${expected.owner.name ?? ''})`,
    );
  }
  const performerId = expected.performer.id;
  role(
    'performer',
    request.performer ?? fixture.performerOf,
    (value) => value === performerId,
    `${show(performerId)} (${expected.performer.name ?? ''})`,
  );
  role(
    'interaction id',
    request.interactionId,
    (value) => value === expected.event.interactionId,
    show(expected.event.interactionId),
  );
  role(
    'idempotency key',
    request.idempotencyKey,
    (value) => typeof value === 'string' && value.trim() !== '',
    'a key (an idempotency header, an upsert key or an external id)',
  );
  role(
    'visibility',
    request.visibility,
    (value) => value === 'internal',
    "'internal' (never shown to the customer)",
  );
  return problems;
}

/** The text the connector handed the plugin for this operation, line endings as sent. */
function expectedText(operation: WriteOperationName, event: InteractionEvent): string | undefined {
  if (operation === 'createTicket') return ticketDescription(event as OpeningEvent);
  if (operation === 'addNote' && event.type === 'interaction.ended') return endNote(event);
  return undefined;
}

/** CRMs may hand text areas back with CRLF: compare with LF. */
function normalise(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

/** Every way `value` differs from `matcher`, each with the path of the field. */
function mismatches(value: unknown, matcher: Matcher, path: string): string[] {
  if (matcher instanceof RegExp) {
    return typeof value === 'string' && matcher.test(value)
      ? []
      : [`${path} is ${show(value)}, expected ${matcher}`];
  }
  if (typeof matcher === 'function') {
    return matcher(value) ? [] : [`${path} is ${show(value)}, which the fixture's predicate refuses`];
  }
  if (Array.isArray(matcher)) {
    if (!Array.isArray(value) || value.length !== matcher.length)
      return [`${path} is ${show(value)}, expected ${matcher.length} items`];
    return matcher.flatMap((item, index) => mismatches(value[index], item as Matcher, `${path}[${index}]`));
  }
  if (matcher !== null && typeof matcher === 'object') {
    if (value === null || typeof value !== 'object') return [`${path} is ${show(value)}, expected an object`];
    return Object.entries(matcher).flatMap(([field, inner]) =>
      mismatches((value as Record<string, unknown>)[field], inner, `${path}.${field}`),
    );
  }
  return Object.is(value, matcher) ? [] : [`${path} is ${show(value)}, expected ${show(matcher)}`];
}

function show(value: unknown): string {
  const text = value === undefined ? 'missing' : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** The idempotency keys the writes to each declared endpoint carried, by label: for comparing deliveries. */
export function keysSent(
  declared: readonly ExpectedRequest[],
  writes: readonly CapturedRequest[],
): Map<string, unknown[]> {
  const keys = new Map<string, unknown[]>();
  for (const request of declared) {
    const keyOf = request.idempotencyKey;
    if (keyOf === undefined) continue;
    keys.set(request.label, writes.filter((write) => sameEndpoint(request, write)).map(keyOf));
  }
  return keys;
}
