import { describe, expect, it } from 'vitest';
import { salesforceId18 } from '../src/salesforce/salesforce-id-suffix.js';

/**
 * The 15→18-character id suffix against pairs worked out by hand from Salesforce's description of
 * it (one character per 5-character chunk, bit i set when the chunk's character i is an uppercase
 * letter, the bits' value indexing `A`–`Z` then `0`–`5`), not against the plugin's implementation.
 */

describe('salesforceId18', () => {
  it.each([
    // The example pair Salesforce's help articles and the developer community quote.
    ['001A0000006Vm9r', '001A0000006Vm9rIAC'],
    // `005Sb`: S is character 3 → 8 → I; `00000` and `00001` have no uppercase letter → A.
    ['005Sb0000000001', '005Sb0000000001IAA'],
    // `00DSb`: D (2) and S (3) → 4 + 8 = 12 → M.
    ['00DSb0000000001', '00DSb0000000001MAA'],
    // `3xqRB`: R (3) and B (4) → 8 + 16 = 24 → Y.
    ['00530000003xqRB', '00530000003xqRBAAY'],
  ])('%s → %s', (id15, id18) => {
    expect(salesforceId18(id15)).toBe(id18);
  });

  it('uses both ends of the alphabet: 26 → 0, every character uppercase (31) → 5, none → A', () => {
    // `aBaDE`: B (1), D (3), E (4) → 2 + 8 + 16 = 26, the first digit.
    expect(salesforceId18('aBaDEABCDEabcde')).toBe('aBaDEABCDEabcde05A');
    expect(salesforceId18('Abcde0000000000')).toBe('Abcde0000000000BAA');
  });

  it('counts only the letters A–Z as uppercase, and refuses anything but 15 letters and digits', () => {
    expect(salesforceId18('12345aaaaa00000')).toBe('12345aaaaa00000AAA');
    expect(() => salesforceId18('005Sb0000000001IAA')).toThrow(RangeError);
    expect(() => salesforceId18('005Sb00000000-1')).toThrow(RangeError);
  });
});
