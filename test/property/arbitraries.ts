import fc from 'fast-check';

/**
 * The adversarial values every property test of this folder draws from: wrong types, huge and
 * unusual strings, and objects carrying prototype-pollution keys as their own properties (as
 * `JSON.parse` builds them from a request body).
 */

/** Every property runs this often: enough to find edge cases, bounded so the folder stays fast. */
export const runs = { numRuns: 250, verbose: true } as const;

/** Keys that pollute `Object.prototype` when a parser copies them carelessly. */
const pollutionKeys = ['__proto__', 'constructor', 'prototype'] as const;

/** Strings that break naive code: lone surrogates, direction marks, zero-width and control characters. */
const awkwardStrings = [
  '',
  ' ',
  '\u0000',
  '\uD800',
  '\uDFFF',
  'a\uD83Db',
  '\u200F\u202E',
  'acme\u200B',
  '\uFEFFacme',
  '\u0130stanbul',
  '\u212A',
  'null',
  'undefined',
  'NaN',
  '[object Object]',
  '{"a":1}',
  '../../etc/passwd',
  '%00',
  '\r\n',
  '<script>alert(1)</script>',
] as const;

/** 1 to 100 KB (UTF-8) of one character, the size an oversized form field or header reaches. */
export const hugeString: fc.Arbitrary<string> = fc
  .constantFrom('a', '9', ' ', '\u00E9', '\uD83D\uDE00', '\uD800', '.')
  .chain((character) =>
    fc
      .integer({ min: 1_000, max: Math.floor(100_000 / Buffer.byteLength(character)) })
      .map((count) => character.repeat(count)),
  );

/** Text of every kind: printable, any code unit (lone surrogates included), awkward constants, huge. */
export const adversarialString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(...awkwardStrings),
  { arbitrary: hugeString, weight: 1 },
);

/** An object whose `toString`/`valueOf` are not functions: `String(value)` and template literals throw on it. */
const unprintableObject: fc.Arbitrary<unknown> = fc.constantFrom(
  JSON.parse('{"toString":1}'),
  JSON.parse('{"toString":1,"valueOf":1}'),
  JSON.parse('{"toString":null,"valueOf":"x"}'),
);

/** Values of the wrong type for any field. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, true, false, 0, -0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e308),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
  fc.integer(),
  fc.double(),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string(), { maxLength: 3 }),
  unprintableObject,
);

/** An object built by `JSON.parse`, so `__proto__` is an own property, holding a pollution attempt. */
function parsedObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const members = entries.map(([key, value]) => `${JSON.stringify(key)}:${toJson(value)}`);
  return JSON.parse(`{${members.join(',')}}`) as Record<string, unknown>;
}

/** `JSON.stringify` that never returns `undefined` (an `undefined` value is sent as `null`). */
export function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** Objects that try to pollute `Object.prototype` through `__proto__`, `constructor.prototype` or `prototype`. */
const pollutionAttempt: fc.Arbitrary<Record<string, unknown>> = fc.constantFrom(
  parsedObject([['__proto__', { polluted: 'yes' }]]),
  parsedObject([['constructor', { prototype: { polluted: 'yes' } }]]),
  parsedObject([['prototype', { polluted: 'yes' }]]),
  parsedObject([
    ['__proto__', { polluted: 'yes', toString: 1 }],
    ['constructor', { prototype: { polluted: 'yes' } }],
  ]),
);

/** Any value a parser may be handed: wrong types, odd strings, pollution attempts, nested JSON. */
export const adversarialValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: wrongType, weight: 3 },
  { arbitrary: adversarialString, weight: 3 },
  { arbitrary: pollutionAttempt, weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);

/** What a pollution key is set to: an object whose copy into a prototype would show on every object. */
const pollutionPayload: fc.Arbitrary<unknown> = fc.constantFrom(
  { polluted: 'yes' },
  { prototype: { polluted: 'yes' } },
  'polluted',
);

/**
 * Takes a valid object and replaces, removes or adds one to four of its fields. A field listed in
 * `variants` gets one of its own near-valid values or any adversarial value; the pollution keys
 * are always candidates, set as own properties (as `JSON.parse` leaves them).
 */
export function mutated(
  valid: fc.Arbitrary<Record<string, unknown>>,
  variants: Readonly<Record<string, fc.Arbitrary<unknown>>>,
): fc.Arbitrary<Record<string, unknown>> {
  const valueFor = (key: string): fc.Arbitrary<unknown> => {
    if ((pollutionKeys as readonly string[]).includes(key))
      return fc.oneof(pollutionPayload, adversarialValue);
    const own = variants[key];
    return own === undefined
      ? adversarialValue
      : fc.oneof({ arbitrary: own, weight: 2 }, { arbitrary: adversarialValue, weight: 1 });
  };
  const keys = [...new Set([...Object.keys(variants), ...pollutionKeys])];
  const changes = fc
    .subarray(keys, { minLength: 1, maxLength: 4 })
    .chain((chosen) =>
      fc.tuple(...chosen.map((key) => fc.tuple(fc.constant(key), valueFor(key), fc.boolean()))),
    );
  return fc.tuple(valid, changes).map(([base, edits]) => {
    const entries = new Map<string, unknown>(Object.entries(base));
    for (const [key, value, absent] of edits) {
      // An `undefined` value is sometimes an absent field, sometimes an explicit undefined.
      if (value === undefined && absent) entries.delete(key);
      else entries.set(key, value);
    }
    return ownObject([...entries]);
  });
}

/**
 * An object with exactly these own properties, `__proto__` included (defined, not assigned, so it
 * never changes the prototype), keeping values JSON cannot carry (undefined, NaN, unprintable objects).
 */
export function ownObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/** Object.prototype's own properties when this module loaded: any key added or value replaced later is pollution. */
const pristine = new Map(
  Reflect.ownKeys(Object.prototype).map((key) => [
    key,
    Reflect.getOwnPropertyDescriptor(Object.prototype, key),
  ]),
);

/** Throws when a run polluted `Object.prototype`: a key added or replaced, or the sentinel visible on a fresh object. */
export function assertPrototypeClean(): void {
  const changed = Reflect.ownKeys(Object.prototype).filter((key) => {
    const before = pristine.get(key);
    const now = Reflect.getOwnPropertyDescriptor(Object.prototype, key);
    return before === undefined || before.value !== now?.value || before.get !== now?.get;
  });
  const sentinel = ({} as Record<string, unknown>).polluted;
  if (changed.length === 0 && sentinel === undefined) return;
  // Restore first, so one failure does not cascade through every later test of the file.
  for (const key of changed) {
    const before = pristine.get(key);
    if (before === undefined) Reflect.deleteProperty(Object.prototype, key);
    else Reflect.defineProperty(Object.prototype, key, before);
  }
  throw new Error(
    `Object.prototype was polluted: ${changed.map(String).join(', ')} (sentinel: ${String(sentinel)})`,
  );
}

/** The 62 characters of a Salesforce ID. */
const alphanumeric = [...'0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'];

/** A 15-character Salesforce ID of any key prefix. */
export const salesforceId15: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(...alphanumeric),
  minLength: 15,
  maxLength: 15,
});

/** A 15-character org ID (`00D` + 12 characters), in its exact case. */
export const orgId15: fc.Arbitrary<string> = fc
  .string({ unit: fc.constantFrom(...alphanumeric), minLength: 12, maxLength: 12 })
  .map((rest) => `00D${rest}`);

/** Swaps the case of the character at `index` (letters only; digits stay as they are). */
export function flipCase(text: string, index: number): string {
  const character = text.charAt(index);
  const flipped = character === character.toUpperCase() ? character.toLowerCase() : character.toUpperCase();
  return `${text.slice(0, index)}${flipped}${text.slice(index + 1)}`;
}

/** A guid, as Microsoft Entra shows tenant and application ids. */
export const guid: fc.Arbitrary<string> = fc.uuid();

/** A well-formed email address. */
export const email: fc.Arbitrary<string> = fc.emailAddress();
