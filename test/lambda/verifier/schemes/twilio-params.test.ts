import fc from 'fast-check';
import { decodeForm, type DecodedForm } from '../../../../lambda/verifier/payload';
import { legacyIdText, parameterEnd, signedString, signingOrder } from '../../../../lambda/verifier/schemes/twilio-params';
import type { FormField } from '../../../../lambda/verifier/payload';

const URL = 'https://hooks.example.com/twilio?x=1';
const json = (text: string) => Buffer.from(JSON.stringify(text), 'utf8');

function formOf(text: string): DecodedForm {
  const form = decodeForm(Buffer.from(text, 'utf8'));
  if (form === undefined) throw new Error('not UTF-8');
  return form;
}

/** The parameters as version 0.1 built them: names sorted, a repeated name's values de-duplicated and sorted. */
function referenceParams(text: string): [string, string[]][] {
  const byName = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(text)) byName.set(name, [...(byName.get(name) ?? []), value]);
  return [...byName.keys()].sort().map((name) => {
    const values = byName.get(name) as string[];
    return [name, values.length === 1 ? values : [...new Set(values)].sort()];
  });
}

const values = fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 2 }), fc.constantFrom('"', '\\', '\n', '\t', '\u0001', '+', '%', '&', '=')), { maxLength: 4 }).map((parts) => parts.join(''));
const forms = fc.array(fc.tuple(fc.constantFrom('a', 'B', 'b', 'Body', '__proto__', 'ä', '"', '\uff61', '\ud83d\ude00', ''), values), { maxLength: 8 })
  .map((pairs) => pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&'));

/** The signed fields as [name, values] parameters, grouped with parameterEnd. */
function parameters(signed: readonly FormField[]): [string, string[]][] {
  const grouped: [string, string[]][] = [];
  for (let first = 0; first < signed.length; first = parameterEnd(signed, first)) {
    grouped.push([signed[first].name, signed.slice(first, parameterEnd(signed, first)).map((field) => field.value)]);
  }
  return grouped;
}

describe('signingOrder', () => {
  test('sorts names by UTF-16 code units, as Array#sort does, not by code point', () => {
    // U+FF61 sorts after the surrogate pair of U+1F600 by code unit (0xFF61 > 0xD83D), before it by code point.
    const signed = signingOrder(formOf('%EF%BD%A1=1&%F0%9F%98%80=2&z=3').fields);
    expect(signed.map((field) => field.name)).toEqual(['z', '\ud83d\ude00', '\uff61']);
  });

  test('a repeated name keeps its distinct values, sorted, next to each other', () => {
    const signed = signingOrder(formOf('Digits=5678&Sid=CA1&Digits=1234&Digits=5678&Digits=').fields);
    expect(signed.map((field) => [field.name, field.value])).toEqual([['Digits', ''], ['Digits', '1234'], ['Digits', '5678'], ['Sid', 'CA1']]);
  });

  test('a value is de-duplicated only under its own name', () => {
    const signed = signingOrder(formOf('a=1&b=1&a=1').fields);
    expect(signed.map((field) => [field.name, field.value])).toEqual([['a', '1'], ['b', '1']]);
  });

  test('matches version 0.1\'s parameters for any form', () => {
    fc.assert(fc.property(forms, (text) => {
      expect(parameters(signingOrder(formOf(text).fields))).toEqual(referenceParams(text));
    }), { numRuns: 500, seed: 13 });
  });
});

describe('parameterEnd', () => {
  test('is the index after the last field sharing the first one\'s name', () => {
    const signed = signingOrder(formOf('a=1&a=2&b=3&c=4&c=5').fields);
    expect([0, 2, 3].map((first) => parameterEnd(signed, first))).toEqual([2, 3, 5]);
    expect(parameterEnd(signed, 1)).toBe(2);
  });
});

describe('signedString', () => {
  test('is the URL followed by name + value for every signed value, as UTF-8', () => {
    const form = formOf('b=2&a=%C3%A9&b=1&b=2');
    expect(signedString(URL, form, signingOrder(form.fields)).toString('utf8')).toBe(`${URL}aéb1b2`);
  });

  test('matches Twilio\'s signed string for any form', () => {
    fc.assert(fc.property(forms, (text) => {
      const form = formOf(text);
      const expected = URL + referenceParams(text).map(([name, values]) => values.map((value) => name + value).join('')).join('');
      expect(signedString(URL, form, signingOrder(form.fields))).toEqual(Buffer.from(expected, 'utf8'));
    }), { numRuns: 500, seed: 13 });
  });
});

describe('legacyIdText', () => {
  test.each([
    ['plain fields', 'b=2&a=1&b=1'],
    ['no fields', ''],
    ['a quote, a backslash and controls in values', 'Body=%22hi%22+%5C+%0A%09%01&x=1'],
    ['a quote in a name and the same escaped text twice', 'q%22=%22&r=%22'],
    ['unicode, including U+2028 which JSON.stringify leaves as it is', 'a=caf%C3%A9+%E2%80%A8+%F0%9F%98%80'],
  ])('is the UTF-8 of JSON.stringify([url, params]) for %s', (_case, text) => {
    const form = formOf(text);
    expect(legacyIdText(json(URL), form, signingOrder(form.fields)).toString('utf8')).toBe(JSON.stringify([URL, referenceParams(text)]));
  });

  test('writes the URL\'s JSON as given, escapes and all, around an empty parameter list', () => {
    const url = 'https://hooks.example.com/t?q="a\\b"';
    expect(legacyIdText(json(url), formOf(''), []).toString('utf8')).toBe(JSON.stringify([url, []]));
  });

  test('matches JSON.stringify for any form', () => {
    fc.assert(fc.property(forms, (text) => {
      const form = formOf(text);
      expect(legacyIdText(json(URL), form, signingOrder(form.fields))).toEqual(Buffer.from(JSON.stringify([URL, referenceParams(text)]), 'utf8'));
    }), { numRuns: 500, seed: 13 });
  });
});
