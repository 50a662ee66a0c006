import { ConfigurationError, isCrmConnectError, parseSettings } from '@crm-connect/core';
import {
  caseChecksum,
  checkOrgId,
  restoreCase,
  salesforceSettingsSchema,
  sameId,
  toId15,
  toId18,
} from '@crm-connect/salesforce';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adversarialString, flipCase, orgId15, runs, salesforceId15 } from './arbitraries.js';

/**
 * Salesforce IDs, 15 characters (case-sensitive) and 18 (with a case checksum): the conversions
 * round-trip, lost or flipped case is detected, and a correction is offered only when it is the
 * original ID.
 */

/** Indexes of the letters among the first 15 characters: only they carry case. */
const letterIndexes = (id: string) =>
  [...id.slice(0, 15)].flatMap((character, index) => (/[a-zA-Z]/.test(character) ? [index] : []));

describe('salesforce IDs: conversions', () => {
  it('toId18 appends a 3-character checksum and toId15 takes it off again', () => {
    fc.assert(
      fc.property(salesforceId15, (id) => {
        const id18 = toId18(id);
        expect(id18).toHaveLength(18);
        expect(id18.slice(0, 15)).toBe(id);
        expect(id18.slice(15)).toMatch(/^[A-Z0-5]{3}$/);
        expect(toId15(id18)).toBe(id);
        expect(toId15(id)).toBe(id);
        expect(sameId(id, id18)).toBe(true);
      }),
      runs,
    );
  });

  it('restoreCase recovers the exact ID from an 18-character ID that was lowercased or uppercased', () => {
    fc.assert(
      fc.property(salesforceId15, (id) => {
        const id18 = toId18(id);
        expect(restoreCase(id18.toLowerCase())).toBe(id);
        expect(restoreCase(id18.toUpperCase())).toBe(id);
        expect(restoreCase(id18)).toBe(id);
      }),
      runs,
    );
  });

  it('the checksum tells apart IDs that differ only in the case of one letter', () => {
    fc.assert(
      fc.property(salesforceId15, fc.nat(), (id, pick) => {
        const letters = letterIndexes(id);
        fc.pre(letters.length > 0);
        const flipped = flipCase(id, letters[pick % letters.length] as number);
        expect(caseChecksum(flipped)).not.toBe(caseChecksum(id));
        expect(sameId(flipped, id)).toBe(false);
      }),
      runs,
    );
  });

  it('any text: the conversions throw only a RangeError, restoreCase answers undefined or 15 characters', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          adversarialString,
          fc.string({ unit: fc.constantFrom('a', 'B', '0', ' ', 'é'), minLength: 14, maxLength: 19 }),
        ),
        (text) => {
          for (const convert of [toId15, toId18, caseChecksum]) {
            try {
              convert(text);
            } catch (error) {
              expect(error).toBeInstanceOf(RangeError);
            }
          }
          const restored = restoreCase(text);
          if (restored !== undefined) expect(restored).toMatch(/^[a-zA-Z0-9]{15}$/);
        },
      ),
      runs,
    );
  });
});

describe('salesforce IDs: checkOrgId', () => {
  it('accepts an org ID in its exact case, 15 or 18 characters, and keeps the 15', () => {
    fc.assert(
      fc.property(orgId15, (id) => {
        expect(checkOrgId(id)).toEqual({ ok: true, orgId: id });
        expect(checkOrgId(toId18(id))).toEqual({ ok: true, orgId: id });
        expect(checkOrgId(`  ${toId18(id)}\n`)).toEqual({ ok: true, orgId: id });
      }),
      runs,
    );
  });

  it('an 18-character org ID whose case was lost is refused, with the exact ID to enter', () => {
    fc.assert(
      fc.property(orgId15, fc.constantFrom('lower', 'upper'), (id, how) => {
        const id18 = toId18(id);
        const pasted = how === 'lower' ? id18.toLowerCase() : id18.toUpperCase();
        fc.pre(pasted !== id18);
        const result = checkOrgId(pasted);
        expect(result).toMatchObject({ ok: false, corrected: id });
        expect(result.ok === false && result.message).toContain(id);
      }),
      runs,
    );
  });

  it('flipping the case of any letter of an 18-character org ID is detected; a correction, if offered, is the original ID', () => {
    fc.assert(
      fc.property(orgId15, fc.nat({ max: 17 }), (id, index) => {
        const id18 = toId18(id);
        const flipped = flipCase(id18, index);
        fc.pre(flipped !== id18);
        const result = checkOrgId(flipped);
        expect(result.ok).toBe(false);
        if (result.ok === false && result.corrected !== undefined) expect(result.corrected).toBe(id);
        // A flipped checksum letter leaves the ID itself intact, so the correction is always derivable.
        if (index >= 15) expect(result).toMatchObject({ ok: false, corrected: id });
      }),
      runs,
    );
  });

  it('a flipped letter in a 15-character org ID makes it another, equally valid ID (nothing can tell)', () => {
    fc.assert(
      fc.property(orgId15, fc.nat(), (id, pick) => {
        const letters = letterIndexes(id).filter((index) => index >= 3);
        fc.pre(letters.length > 0);
        const flipped = flipCase(id, letters[pick % letters.length] as number);
        expect(checkOrgId(flipped)).toEqual({ ok: true, orgId: flipped });
      }),
      runs,
    );
  });

  it('any text: an org ID starting with 00D, or a refusal with a message; never an exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          adversarialString,
          orgId15.map((id) => `'${toId18(id)}'`),
          orgId15.map((id) => `${id.slice(0, 7)} ${id.slice(7)}`),
          salesforceId15.map(toId18),
          fc.string({
            unit: fc.constantFrom('0', 'D', 'd', 'a', 'Z', ' ', '"'),
            minLength: 14,
            maxLength: 20,
          }),
        ),
        (text) => {
          const result = checkOrgId(text);
          if (result.ok) {
            expect(result.orgId).toMatch(/^00D[a-zA-Z0-9]{12}$/);
          } else {
            expect(typeof result.message).toBe('string');
            if (result.corrected !== undefined)
              expect(checkOrgId(result.corrected)).toEqual({ ok: true, orgId: result.corrected });
          }
        },
      ),
      runs,
    );
  });

  it('the settings schema stores an org ID as its 15 characters, or refuses it with the correction in the message', () => {
    fc.assert(
      fc.property(
        orgId15,
        fc.constantFrom('as is', 'id18', 'lower', 'upper', 'flip'),
        fc.nat({ max: 17 }),
        (id, how, index) => {
          const id18 = toId18(id);
          const typed = {
            'as is': id,
            id18,
            lower: id18.toLowerCase(),
            upper: id18.toUpperCase(),
            flip: flipCase(id18, index),
          }[how];
          const check = checkOrgId(typed);
          try {
            const settings = parseSettings(salesforceSettingsSchema, { orgId: typed }, 'salesforce');
            expect(check).toEqual({ ok: true, orgId: settings.orgId });
          } catch (error) {
            expect(isCrmConnectError(error)).toBe(true);
            expect(error).toBeInstanceOf(ConfigurationError);
            expect(check.ok).toBe(false);
            if (check.ok === false && check.corrected !== undefined)
              expect((error as Error).message).toContain(check.corrected);
          }
        },
      ),
      runs,
    );
  });
});
