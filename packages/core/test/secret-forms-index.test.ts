import { describe, expect, it } from 'vitest';
import { hashWindow, SecretFormsIndex } from '../src/secret-forms-index.js';

/**
 * The index finds every occurrence of every held form in one pass: forms of 12 characters or more
 * by a rolling hash of their last 12, shorter ones by one regular expression.
 */

function indexOf(...forms: Array<[string, boolean?]>): SecretFormsIndex {
  const index = new SecretFormsIndex();
  for (const [text, base64Core = false] of forms) index.add(text, base64Core);
  return index;
}

const spans = (index: SecretFormsIndex, text: string) =>
  index
    .find(text)
    .map(({ start, end, base64Core }) => ({ form: text.slice(start, end), start, base64Core }))
    .sort((a, b) => a.start - b.start || a.form.length - b.form.length);

describe('the window boundary', () => {
  it('hashes 12 characters', () => {
    expect(hashWindow).toBe(12);
  });

  it('a 12-character form is found as the whole text, at its start, at its end and in the middle', () => {
    const index = indexOf(['twelve-chars']);
    expect(spans(index, 'twelve-chars')).toEqual([{ form: 'twelve-chars', start: 0, base64Core: false }]);
    expect(spans(index, 'twelve-chars and twelve-chars!')).toEqual([
      { form: 'twelve-chars', start: 0, base64Core: false },
      { form: 'twelve-chars', start: 17, base64Core: false },
    ]);
    expect(spans(index, 'twelve-char')).toEqual([]);
  });

  it('a 12-character form, once removed, is no longer found', () => {
    const index = indexOf(['twelve-chars'], ['other-form-kept']);
    index.remove('twelve-chars');
    expect(spans(index, 'twelve-chars other-form-kept').map((span) => span.form)).toEqual([
      'other-form-kept',
    ]);
  });

  it('an 11-character form is found through the short forms, also as the whole text', () => {
    const index = indexOf(['eleven-char']);
    expect(spans(index, 'eleven-char')).toEqual([{ form: 'eleven-char', start: 0, base64Core: false }]);
    expect(spans(index, 'x eleven-char y')).toEqual([{ form: 'eleven-char', start: 2, base64Core: false }]);
  });

  it('a long form is matched only where all of it is, not where only its last 12 characters are', () => {
    const index = indexOf(['prefix-and-the-same-ending-12']);
    expect(spans(index, 'the-same-ending-12')).toEqual([]);
    expect(spans(index, 'other-and-the-same-ending-12')).toEqual([]);
    expect(spans(index, '<prefix-and-the-same-ending-12>')).toEqual([
      { form: 'prefix-and-the-same-ending-12', start: 1, base64Core: false },
    ]);
  });

  it('every occurrence of a long form, overlapping ones included', () => {
    const index = indexOf(['abababababababab']);
    expect(spans(index, 'abababababababababab').map((span) => span.start)).toEqual([0, 2, 4]);
  });
});

describe('short forms', () => {
  it('are literal text: regular-expression characters in them match only themselves', () => {
    const forms = ['a.b*', 'c+d?', 'e^f$', 'g{1}', 'h(i)', 'j|k', 'l[m]', 'n\\o'];
    const index = indexOf(...forms.map((form): [string] => [form]));
    expect(spans(index, 'axbb cdd e^f g hi j k lm no n\\o').map((span) => span.form)).toEqual(['n\\o']);
    const all = forms.join(' ');
    expect(spans(index, all).map((span) => span.form)).toEqual(forms);
  });

  it('overlapping occurrences are all found, and at one place both of two forms', () => {
    const index = indexOf(['aaaa'], ['aaaaaa']);
    expect(spans(index, 'aaaaa').map(({ form, start }) => [form, start])).toEqual([
      ['aaaa', 0],
      ['aaaa', 1],
    ]);
    expect(spans(index, 'aaaaaa').map(({ form, start }) => [form, start])).toEqual([
      ['aaaaaa', 0],
      ['aaaa', 1],
      ['aaaa', 2],
    ]);
  });

  it('a text shorter than every short form finds nothing; one as long as the shortest is checked', () => {
    const index = indexOf(['abcd'], ['abcdefgh']);
    expect(spans(index, 'abc')).toEqual([]);
    expect(spans(index, 'abcd')).toEqual([{ form: 'abcd', start: 0, base64Core: false }]);
  });

  it('a removed short form is no longer found, the others still are', () => {
    const index = indexOf(['abcd'], ['wxyz']);
    expect(spans(index, 'abcd wxyz')).toHaveLength(2);
    index.remove('abcd');
    expect(spans(index, 'abcd wxyz')).toEqual([{ form: 'wxyz', start: 5, base64Core: false }]);
    index.remove('wxyz');
    expect(spans(index, 'abcd wxyz')).toEqual([]);
    expect(index.size).toBe(0);
  });
});

describe('holders and flags', () => {
  it('a form added twice is held until removed twice', () => {
    const index = indexOf(['shared-form-0000001'], ['shared-form-0000001']);
    expect(index.size).toBe(1);
    index.remove('shared-form-0000001');
    expect(spans(index, 'shared-form-0000001')).toHaveLength(1);
    index.remove('shared-form-0000001');
    expect(spans(index, 'shared-form-0000001')).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('removing a form never added changes nothing', () => {
    const index = indexOf(['kept-form-000000001']);
    index.remove('never-added-0000001');
    index.remove('abc');
    expect(spans(index, 'kept-form-000000001')).toHaveLength(1);
  });

  it('a form that is a base64 core for any of its holders is reported as one', () => {
    const index = indexOf(
      ['QUJDREVGR0hJSktM', false],
      ['QUJDREVGR0hJSktM', true],
      ['QUJDREVGR0hJSktM', false],
    );
    expect(spans(index, 'QUJDREVGR0hJSktM')).toEqual([
      { form: 'QUJDREVGR0hJSktM', start: 0, base64Core: true },
    ]);
  });

  it('forms that end alike share a bucket: removing one leaves the others found', () => {
    const index = indexOf(
      ['AAAA.same-ending-0123456789'],
      ['BBBB.same-ending-0123456789'],
      ['same-ending-0123456789'],
    );
    index.remove('AAAA.same-ending-0123456789');
    expect(
      spans(index, 'AAAA.same-ending-0123456789 BBBB.same-ending-0123456789').map((span) => span.form),
    ).toEqual(['same-ending-0123456789', 'BBBB.same-ending-0123456789', 'same-ending-0123456789']);
    index.remove('same-ending-0123456789');
    index.remove('BBBB.same-ending-0123456789');
    expect(spans(index, 'BBBB.same-ending-0123456789')).toEqual([]);
  });
});
