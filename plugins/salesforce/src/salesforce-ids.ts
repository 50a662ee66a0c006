/**
 * Salesforce record IDs: the 15-character form is case-sensitive; the 18-character form appends
 * a 3-character checksum of the letter case, so it survives tools that lowercase text.
 * https://help.salesforce.com/s/articleView?id=000385203&type=1 (key prefixes)
 */

/** Maps a 5-bit "which characters are uppercase" mask to one checksum character. */
const checksumAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const id15Pattern = /^[a-zA-Z0-9]{15}$/;
const id18Pattern = /^[a-zA-Z0-9]{18}$/;

/** Key prefixes an admin may paste by mistake instead of the org ID, for a precise hint. */
const knownPrefixes: Readonly<Record<string, string>> = {
  '005': 'a User ID',
  '00e': 'a Profile ID',
  '001': 'an Account ID',
  '003': 'a Contact ID',
  '500': 'a Case ID',
  '00G': 'a Queue or Group ID',
};

/** The 3-character case checksum of a 15-character ID. */
export function caseChecksum(id15: string): string {
  if (!id15Pattern.test(id15)) throw new RangeError(`Not a 15-character Salesforce ID: ${id15}`);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk += 1) {
    let mask = 0;
    for (let position = 0; position < 5; position += 1) {
      const character = id15.charAt(chunk * 5 + position);
      if (character >= 'A' && character <= 'Z') mask |= 1 << position;
    }
    suffix += checksumAlphabet.charAt(mask);
  }
  return suffix;
}

/** The 18-character form of a 15-character ID. */
export function toId18(id15: string): string {
  return id15 + caseChecksum(id15);
}

/** The 15-character form of a 15- or 18-character ID (the 18-character form's checksum is not checked). */
export function toId15(id: string): string {
  if (id15Pattern.test(id)) return id;
  if (id18Pattern.test(id)) return id.slice(0, 15);
  throw new RangeError(`Not a Salesforce ID: ${id}`);
}

/** True when both are the same record: compared case-sensitively as 15 characters. */
export function sameId(left: string, right: string): boolean {
  return toId15(left) === toId15(right);
}

/** True when an 18-character ID's checksum matches its first 15 characters exactly. */
export function hasValidChecksum(id18: string): boolean {
  return id18Pattern.test(id18) && caseChecksum(id18.slice(0, 15)) === id18.slice(15);
}

/**
 * Rebuilds the 15-character ID from an 18-character one whose letters lost their case (a
 * spreadsheet lowercased it): the checksum says which characters are uppercase. `undefined`
 * when the checksum cannot describe these characters (a typo rather than lost case).
 */
export function restoreCase(id18: string): string | undefined {
  if (!id18Pattern.test(id18)) return undefined;
  let restored = '';
  for (let chunk = 0; chunk < 3; chunk += 1) {
    const mask = checksumAlphabet.indexOf(id18.charAt(15 + chunk).toUpperCase());
    if (mask < 0) return undefined;
    for (let position = 0; position < 5; position += 1) {
      const character = id18.charAt(chunk * 5 + position);
      const upper = (mask & (1 << position)) !== 0;
      if (upper && !/[a-zA-Z]/.test(character)) return undefined;
      restored += upper ? character.toUpperCase() : character.toLowerCase();
    }
  }
  return restored;
}

export type OrgIdCheck =
  | { ok: true; orgId: string }
  | { ok: false; message: string; corrected?: string | undefined };

/**
 * Checks an org ID as an admin typed it. A 15-character ID starting with `00D` is accepted as is;
 * an 18-character one only when its checksum is exact, and it is stored as its first 15
 * characters. Anything else is refused with what is wrong and, when it can be derived, the
 * value to enter instead.
 */
export function checkOrgId(input: string): OrgIdCheck {
  const value = input.trim();
  const where = 'Setup › Company Information › Salesforce.com Organization ID';
  const compact = value.replace(/[\s"'`]/g, '');
  if (/[^a-zA-Z0-9]/.test(value)) {
    const corrected = compact !== value ? checkOrgId(compact) : undefined;
    if (corrected?.ok === true) {
      return {
        ok: false,
        message: `"${value}" contains spaces or quotes; enter ${corrected.orgId}.`,
        corrected: corrected.orgId,
      };
    }
    return {
      ok: false,
      message: `"${value}" must contain only letters and digits; copy the 15-character org ID from ${where}.`,
    };
  }
  if (value.length !== 15 && value.length !== 18) {
    return {
      ok: false,
      message: `"${value}" has ${value.length} characters; the org ID has 15 (copy it from ${where}).`,
    };
  }
  if (value.length === 18 && !hasValidChecksum(value)) {
    const restored = restoreCase(value);
    const body = value.slice(0, 15);
    // Mixed case means the case is still there, so a mismatch is a typo, not lost case.
    const caseLost = body === body.toLowerCase() || body === body.toUpperCase() || restored === body;
    if (caseLost && restored?.startsWith('00D')) {
      return {
        ok: false,
        message: `"${value}" does not match its own case checksum (its last three characters): the letters lost their case. The org ID is ${restored}; enter that.`,
        corrected: restored,
      };
    }
    return {
      ok: false,
      message: `The last three characters of "${value}" are not the case checksum of the first 15, so the ID has a typo; copy the 15-character org ID from ${where}.`,
    };
  }
  const id15 = value.slice(0, 15);
  if (!id15.startsWith('00D')) {
    const what = knownPrefixes[id15.slice(0, 3)];
    const hint = what === undefined ? '' : ` "${value}" is ${what}, not an org ID.`;
    return {
      ok: false,
      message: `The org ID starts with 00D (capital D).${hint} Copy it from ${where}.`,
    };
  }
  return { ok: true, orgId: id15 };
}
