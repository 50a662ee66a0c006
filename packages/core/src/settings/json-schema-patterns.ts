/**
 * Building blocks for the JSON Schema `pattern` of a setting whose zod rule is code (URL parsing,
 * normalising), so an admin form can check the value as typed before it is submitted. JSON
 * Schema patterns take no flags: letters are written in both cases, and padding is spelled out
 * where the zod rule trims. A plugin puts the result on the field, `.meta({ pattern })`; zod's
 * rule stays the authority on the server, the pattern never refuses a value zod accepts.
 */

/** `text` matched literally whatever the case of its letters: `anyCase('.com')` is `\.[cC][oO][mM]`. */
export function anyCase(text: string): string {
  return [...text]
    .map((character) => {
      const lower = character.toLowerCase();
      const upper = character.toUpperCase();
      if (lower !== upper) return `[${lower}${upper}]`;
      return character.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    })
    .join('');
}

/** The whole value, surrounding white space allowed (the zod rule trims it): `^\s*(?:body)\s*$`. */
export function trimmedPattern(body: string): string {
  return `^\\s*(?:${body})\\s*$`;
}

/** A port as the URL parser accepts it, 0 to 65535 (leading zeros allowed). */
const port = '0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';

/**
 * A local sandbox's URL on a loopback host (127.0.0.1, localhost, [::1]), scheme written out,
 * any port and path, no user name: what core's `loopbackOrigin` accepts, unanchored. Other
 * spellings of a loopback address (`http://127.1`) are left to the server.
 */
export function loopbackUrlPattern(options: { httpsOnly?: boolean } = {}): string {
  const scheme = options.httpsOnly === true ? anyCase('https') : `${anyCase('http')}[sS]?`;
  return `${scheme}://(?:${anyCase('localhost')}|127\\.0\\.0\\.1|\\[::1\\])(?::(?:${port})?)?(?:[/?#\\\\].*)?`;
}
