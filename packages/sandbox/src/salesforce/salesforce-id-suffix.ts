/**
 * Salesforce's 18-character record ids, written from Salesforce's documentation rather than
 * borrowed from the plugin: a fake that shared the plugin's checksum would repeat its mistakes
 * instead of catching them.
 *
 * The 15-character id is case-sensitive. The 18-character id appends one character per 5-character
 * chunk of it, encoding which characters of that chunk are uppercase letters (bit i for the chunk's
 * character i) as a position in `A`–`Z` followed by `0`–`5`, so the id survives case-insensitive tools.
 * https://help.salesforce.com/s/articleView?id=000385203&type=1
 */

const suffixCharacters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const chunkLength = 5;

function suffixCharacterOf(chunk: string): string {
  let uppercaseBits = 0;
  [...chunk].forEach((character, index) => {
    if (/[A-Z]/.test(character)) uppercaseBits += 2 ** index;
  });
  return suffixCharacters.charAt(uppercaseBits);
}

/** The 18-character form of a 15-character id: the id followed by its 3-character case suffix. */
export function salesforceId18(id15: string): string {
  if (!/^[A-Za-z0-9]{15}$/.test(id15)) {
    throw new RangeError(`A Salesforce id has 15 letters and digits before its suffix, not "${id15}"`);
  }
  const chunks = [0, 1, 2].map((chunk) => id15.slice(chunk * chunkLength, (chunk + 1) * chunkLength));
  return id15 + chunks.map(suffixCharacterOf).join('');
}
