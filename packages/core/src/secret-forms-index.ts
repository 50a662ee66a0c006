/**
 * Finds every occurrence of many strings (the wire forms of the secrets a redactor holds) in one
 * pass over a text, at a cost per character that does not depend on how many are held: a rolling
 * hash (Rabin–Karp) of the last `window` characters is looked up at each position, first in a
 * 64 K-entry presence table, then, on a hit, in the forms whose last `window` characters hash the
 * same. Forms are keyed by their END, not their start: access tokens of one issuer share their
 * first dozens of characters (a JWT's header), while their ends (the signature) differ.
 *
 * Forms shorter than the window (short configured secrets) are few and matched by one regular
 * expression. Adding or removing a form is O(its length); nothing is rebuilt.
 */

/** Characters hashed at each position; the shortest base64 core a redactor matches is this long. */
export const hashWindow = 12;

/** The hash's multiplier (odd, so multiplication mod 2^32 loses nothing). */
const base = 0x01000193;
/** base^window mod 2^32: what the character leaving the window contributed. */
const outgoingFactor = (() => {
  let factor = 1;
  for (let step = 0; step < hashWindow; step += 1) factor = Math.imul(factor, base);
  return factor;
})();
const presenceBits = 16;
const presenceMask = (1 << presenceBits) - 1;

/** A place in a text where a form was found, and whether it is a base64 core (to be widened). */
export interface FormMatch {
  start: number;
  end: number;
  base64Core: boolean;
}

interface IndexedForm {
  text: string;
  base64Core: boolean;
  /** How many held secrets have this form (two secrets may share one, a secret and its base64 another's). */
  holders: number;
}

function hashOfEnd(text: string): number {
  let hash = 0;
  for (let index = text.length - hashWindow; index < text.length; index += 1)
    hash = (Math.imul(hash, base) + text.charCodeAt(index)) | 0;
  return hash;
}

export class SecretFormsIndex {
  private readonly buckets = new Map<number, IndexedForm[]>();
  /** How many indexed forms hash to each low-16-bit value: a zero means no form can end here. */
  private readonly presence = new Uint16Array(1 << presenceBits);
  private readonly byText = new Map<string, IndexedForm>();
  private readonly short = new Map<string, IndexedForm>();
  private shortPattern: RegExp | undefined;
  private shortStale = false;
  /** The length of the shortest short form: no shorter text can hold one. */
  private shortestShort = hashWindow;

  get size(): number {
    return this.byText.size;
  }

  add(text: string, base64Core: boolean): void {
    const known = this.byText.get(text);
    if (known !== undefined) {
      known.holders += 1;
      // A form that is a base64 core of one secret is widened whichever secret it came from.
      known.base64Core ||= base64Core;
      return;
    }
    const form: IndexedForm = { text, base64Core, holders: 1 };
    this.byText.set(text, form);
    if (text.length < hashWindow) {
      this.short.set(text, form);
      this.shortStale = true;
      return;
    }
    const hash = hashOfEnd(text);
    const bucket = this.buckets.get(hash);
    if (bucket === undefined) this.buckets.set(hash, [form]);
    else bucket.push(form);
    this.presence[hash & presenceMask] = (this.presence[hash & presenceMask] ?? 0) + 1;
  }

  remove(text: string): void {
    const form = this.byText.get(text);
    if (form === undefined) return;
    form.holders -= 1;
    if (form.holders > 0) return;
    this.byText.delete(text);
    if (text.length < hashWindow) {
      this.short.delete(text);
      this.shortStale = true;
      return;
    }
    const hash = hashOfEnd(text);
    const bucket = this.buckets.get(hash);
    if (bucket !== undefined) {
      const remaining = bucket.filter((candidate) => candidate !== form);
      if (remaining.length === 0) this.buckets.delete(hash);
      else this.buckets.set(hash, remaining);
    }
    this.presence[hash & presenceMask] = (this.presence[hash & presenceMask] ?? 1) - 1;
  }

  /** Every occurrence of every form in the text (overlapping ones included), in no particular order. */
  find(text: string): FormMatch[] {
    const matches: FormMatch[] = [];
    if (this.buckets.size > 0 && text.length >= hashWindow) this.findLong(text, matches);
    if (this.short.size > 0) {
      this.refreshShortPattern();
      if (text.length >= this.shortestShort) this.findShort(text, matches);
    }
    return matches;
  }

  private refreshShortPattern(): void {
    if (!this.shortStale) return;
    // Longest first, so at one position the longer of two short forms is taken.
    const forms = [...this.short.keys()].sort((a, b) => b.length - a.length);
    this.shortPattern = forms.length === 0 ? undefined : new RegExp(forms.map(escapeRegExp).join('|'), 'g');
    this.shortestShort = forms.at(-1)?.length ?? hashWindow;
    this.shortStale = false;
  }

  private findLong(text: string, matches: FormMatch[]): void {
    const { presence, buckets } = this;
    let hash = 0;
    for (let index = 0; index < text.length; index += 1) {
      hash = (Math.imul(hash, base) + text.charCodeAt(index)) | 0;
      if (index >= hashWindow)
        hash = (hash - Math.imul(text.charCodeAt(index - hashWindow), outgoingFactor)) | 0;
      if (index < hashWindow - 1 || presence[hash & presenceMask] === 0) continue;
      const bucket = buckets.get(hash);
      if (bucket === undefined) continue;
      const end = index + 1;
      for (const form of bucket) {
        const start = end - form.text.length;
        if (start >= 0 && text.startsWith(form.text, start))
          matches.push({ start, end, base64Core: form.base64Core });
      }
    }
  }

  private findShort(text: string, matches: FormMatch[]): void {
    const pattern = this.shortPattern;
    if (pattern === undefined) return;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const form = this.short.get(match[0]);
      matches.push({
        start: match.index,
        end: match.index + match[0].length,
        base64Core: form?.base64Core ?? false,
      });
      // Overlapping short forms at the next positions are still found.
      pattern.lastIndex = match.index + 1;
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
