/** The text as a URL, or `undefined` when it is not one (`URL.parse` arrives only in Node 22). */
export function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
