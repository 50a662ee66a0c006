import { describe, expect, it } from 'vitest';
import { caseChecksum, checkOrgId, restoreCase, sameId, toId15, toId18 } from '../src/salesforce-ids.js';

// Known pairs: the first two were checked against real token and identity data, the seed's
// example comes from Salesforce's own setup guide (00D0O000005Jj18UAC → 00D0O000005Jj18).
const knownIds: readonly [string, string][] = [
  ['00D50000000IZ3Z', '00D50000000IZ3ZEAW'],
  ['00550000001fg5O', '00550000001fg5OAAQ'],
  ['70130000001tcyI', '70130000001tcyIAAQ'],
  ['a0BA0000000L2ZC', 'a0BA0000000L2ZCMA0'],
  ['003G000001SUbc4', '003G000001SUbc4IAD'],
  ['00Dxx0000001gPL', '00Dxx0000001gPLEAY'],
  ['005xx000001SwiU', '005xx000001SwiUAAS'],
  ['a0D30000001n7Pi', 'a0D30000001n7PiEAI'],
  ['00D0O000005Jj18', '00D0O000005Jj18UAC'],
];

describe('salesforce IDs: 15 ↔ 18 characters', () => {
  it.each(knownIds)('%s ↔ %s', (id15, id18) => {
    expect(toId18(id15)).toBe(id18);
    expect(caseChecksum(id15)).toBe(id18.slice(15));
    expect(toId15(id18)).toBe(id15);
    expect(toId15(id15)).toBe(id15);
  });

  it('restores the case of an 18-character ID whose letters were lowercased or uppercased', () => {
    for (const [id15, id18] of knownIds) {
      expect(restoreCase(id18.toLowerCase())).toBe(id15);
      expect(restoreCase(id18.toUpperCase())).toBe(id15);
    }
  });

  it('cannot restore what the checksum does not describe (an uppercase bit on a digit)', () => {
    // "E" = 00100: the third character of the first chunk should be a letter; here it is a digit.
    expect(restoreCase('005000000000000EAA')).toBeUndefined();
    expect(restoreCase('00D50000000IZ3Z!AW')).toBeUndefined();
  });

  it('compares IDs case-sensitively as 15 characters', () => {
    expect(sameId('005xx000001SwiUAAS', '005xx000001SwiU')).toBe(true);
    expect(sameId('005xx000001SwiU', '005xx000001Swiu')).toBe(false);
  });
});

describe('salesforce org ID as an admin types it', () => {
  it('accepts the 15-character ID as is', () => {
    expect(checkOrgId('00D0O000005Jj18')).toEqual({ ok: true, orgId: '00D0O000005Jj18' });
    expect(checkOrgId('  00D50000000IZ3Z ')).toEqual({ ok: true, orgId: '00D50000000IZ3Z' });
  });

  it('accepts an 18-character ID with an exact checksum and keeps its first 15 characters', () => {
    expect(checkOrgId('00D0O000005Jj18UAC')).toEqual({ ok: true, orgId: '00D0O000005Jj18' });
    expect(checkOrgId('00Dxx0000001gPLEAY')).toEqual({ ok: true, orgId: '00Dxx0000001gPL' });
  });

  it('refuses an 18-character ID that lost its case, showing the corrected ID', () => {
    const result = checkOrgId('00d0o000005jj18uac');
    expect(result).toMatchObject({ ok: false, corrected: '00D0O000005Jj18' });
    expect(result.ok === false && result.message).toContain('enter that');
    expect(result.ok === false && result.message).toContain('00D0O000005Jj18');
    // Only the checksum lowercased: still refused, with the same correction.
    expect(checkOrgId('00D0O000005Jj18uac')).toMatchObject({ ok: false, corrected: '00D0O000005Jj18' });
  });

  it.each([
    ['00D0O000005Jj18UAD', 'a checksum typo'],
    ['00Dxx0000001gPLEAA', 'a checksum that a lowercase guess would satisfy, on an ID that kept its case'],
    ['00D0o000005Jj18UAC', 'one letter typed in the wrong case'],
  ])('refuses %s (%s) without inventing a correction', (input) => {
    const result = checkOrgId(input);
    expect(result).toMatchObject({ ok: false });
    expect(result.ok === false && result.corrected).toBeUndefined();
    expect(result.ok === false && result.message).toContain('not the case checksum');
  });

  it('refuses a wrong length, naming the count', () => {
    const result = checkOrgId('00D0O000005Jj1');
    expect(result.ok === false && result.message).toContain('has 14 characters');
    expect(checkOrgId('00D0O000005Jj18UA')).toMatchObject({ ok: false });
  });

  it('refuses other characters, and corrects pasted spaces or quotes when what is left is valid', () => {
    const dash = checkOrgId('00D0O-00005Jj18');
    expect(dash.ok === false && dash.corrected).toBeUndefined();
    expect(dash.ok === false && dash.message).toContain('only letters and digits');
    expect(checkOrgId('"00D0O000005Jj18"')).toMatchObject({ ok: false, corrected: '00D0O000005Jj18' });
    expect(checkOrgId('00D0O 000005Jj18UAC')).toMatchObject({ ok: false, corrected: '00D0O000005Jj18' });
  });

  it('refuses an ID that is not an org ID, naming what it is', () => {
    const user = checkOrgId('005xx000001SwiUAAS');
    expect(user.ok === false && user.message).toContain('is a User ID');
    expect(checkOrgId('00d0O000005Jj18').ok).toBe(false);
    expect(checkOrgId('001xx000003DGb2').ok).toBe(false);
  });
});
