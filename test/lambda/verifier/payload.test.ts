import fc from 'fast-check';
import { isRejection } from '../../../lambda/verifier/schemes/types';
import { decodeForm, decodeFormAsUrlSearchParams, decodeUtf8, decodeWellFormedForm, MAX_JSON_DEPTH, needsJsonEscape, parseForm, parseJsonBody, setOwnProperty, TEXT_SLICE_LIMIT, type DecodedForm } from '../../../lambda/verifier/payload';

/** The fields as name/value pairs, checking on the way that each field's bytes are exactly its text's UTF-8. */
function pairs(form: DecodedForm | undefined): [string, string][] | undefined {
  return form?.fields.map(({ name, value, start, valueStart, end }) => {
    expect(form.bytes.subarray(start, valueStart)).toEqual(Buffer.from(name, 'utf8'));
    expect(form.bytes.subarray(valueStart, end)).toEqual(Buffer.from(value, 'utf8'));
    return [name, value];
  });
}

const reference = (text: string) => [...new URLSearchParams(text)];

describe('decodeUtf8', () => {
  test('decodes valid UTF-8 exactly, keeping a leading BOM', () => {
    expect(decodeUtf8(Buffer.from('\ufeffcafé ☕', 'utf8'))).toBe('\ufeffcafé ☕');
  });

  test.each([
    ['an invalid byte', [0x41, 0xff]],
    ['a truncated sequence', [0xe2, 0x98]],
    ['an overlong encoding', [0xc0, 0x80]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ])('refuses %s', (_case, bytes) => {
    expect(decodeUtf8(Buffer.from(bytes))).toBeUndefined();
  });
});

describe('parseJsonBody: nesting depth', () => {
  /** `levels` containers, outermost first, alternating objects and arrays as `kinds` says. */
  const nested = (levels: number, kinds: 'arrays' | 'objects' | 'mixed', innermost = '1') => {
    let text = innermost;
    for (let level = levels; level >= 1; level--) {
      const array = kinds === 'arrays' || (kinds === 'mixed' && level % 2 === 0);
      text = array ? `[0,${text},"x"]` : `{"a":1,"b":${text},"c":null}`;
    }
    return Buffer.from(text, 'utf8');
  };

  test.each(['arrays', 'objects', 'mixed'] as const)('accepts exactly %s nested to the limit and refuses one level more', (kinds) => {
    expect(isRejection(parseJsonBody(nested(MAX_JSON_DEPTH, kinds)))).toBe(false);
    const refused = parseJsonBody(nested(MAX_JSON_DEPTH + 1, kinds));
    expect(isRejection(refused) && refused.detail).toBe(`body is JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  });

  test('counts the deepest branch, not the first one, and an empty container as a level', () => {
    const deepLast = `{"shallow":[1],"deep":${nested(MAX_JSON_DEPTH - 1, 'mixed', '{}').toString('utf8')}}`;
    expect(isRejection(parseJsonBody(Buffer.from(deepLast, 'utf8')))).toBe(true);
    const atLimit = `{"shallow":[1],"deep":${nested(MAX_JSON_DEPTH - 1, 'mixed').toString('utf8')}}`;
    expect(isRejection(parseJsonBody(Buffer.from(atLimit, 'utf8')))).toBe(false);
  });

  test('walks own keys only: an enumerable property put on Object.prototype is not part of the body', () => {
    const prototype = Object.prototype as Record<string, unknown>;
    // A self-referencing object: walked as if the body held it, it would read as infinitely deep.
    const loop: Record<string, unknown> = {};
    loop.again = loop;
    prototype.polluted = loop;
    try {
      expect(parseJsonBody(Buffer.from('{"a":{"b":[{}]}}', 'utf8'))).toEqual({ value: { a: { b: [{}] } } });
    } finally {
      delete prototype.polluted;
    }
  });

  test('a key named __proto__ is data and is walked like any other', () => {
    const text = `{"__proto__":${nested(MAX_JSON_DEPTH, 'arrays').toString('utf8')}}`;
    expect(isRejection(parseJsonBody(Buffer.from(text, 'utf8')))).toBe(true);
  });
});

describe('decodeWellFormedForm: URLSearchParams\' reading, in one pass', () => {
  test.each([
    ['plain fields', 'a=1&b=2'],
    ['one leading "?" dropped, a second kept', '??a=1'],
    ['empty pairs skipped, at the start, middle and end', '&&a=1&&b=2&'],
    ['a field without "=" has an empty value', 'flag&a=1'],
    ['only the first "=" splits', 'a=b=c'],
    ['an empty name and an empty value', '=&=x&y='],
    ['"+" is a space, %2B a plus', 'a=x+y%2Bz'],
    ['percent escapes in upper and lower case', 'a=%41%6a%2f%2F'],
    ['escaped separators are data', 'n%3Dm=a%26b'],
    ['escaped multi-byte UTF-8', 'a=caf%C3%A9+%E2%98%95+%F0%9F%98%80'],
    ['raw multi-byte UTF-8 next to escapes', 'a=café%20☕'],
    ['a percent-encoded BOM', 'a=%EF%BB%BFx'],
    ['escaped control characters and NUL', 'a=%00%0A%1F'],
    ['an escape at the very end of the body', 'a=%41'],
  ])('%s', (_case, text) => {
    expect(pairs(decodeWellFormedForm(Buffer.from(text, 'utf8')))).toEqual(reference(text));
  });

  test.each([
    ['a "%" followed by no hex digits', 'a=100%'],
    ['a "%" followed by one hex digit', 'a=%4'],
    ['a "%" followed by one hex digit, then a separator', 'a=%4&b=1'],
    ['a "%" followed by a non-hex pair', 'a=%zz'],
    ['a "%" before the name\'s "="', 'a%=1'],
    ['escaped bytes that are not UTF-8', 'a=%FF'],
    ['an escaped lead byte without its continuation', 'a=%C3'],
    ['an escaped surrogate', 'a=%ED%A0%80'],
    ['escaped bytes that are not UTF-8, in a name', '%C3=1'],
  ])('declines %s, which URLSearchParams reads lossily', (_case, text) => {
    expect(decodeWellFormedForm(Buffer.from(text, 'utf8'))).toBeUndefined();
  });

  test.each([TEXT_SLICE_LIMIT, TEXT_SLICE_LIMIT + 1])('a body of %i bytes, around the size past which no text is made: plain, "+" and escaped fields', (size) => {
    const head = 'a=1&b=x+y&c=%C3%A9&long=';
    const text = `${head}${'z'.repeat(size - head.length - 7)}&tail=2`;
    expect(text.length).toBe(size);
    expect(pairs(decodeWellFormedForm(Buffer.from(text, 'utf8')))).toEqual(reference(text));
  });

  test('an empty body has no fields', () => {
    expect(decodeWellFormedForm(Buffer.alloc(0))).toEqual({ fields: [], bytes: Buffer.alloc(0), jsonEscapes: false });
  });
});

describe('decodeForm', () => {
  test('reads what the fast decoder declines through URLSearchParams, lossy as it is', () => {
    // A field mixing an invalid escape, a valid one and a raw "é": URLSearchParams keeps only é's low byte.
    for (const text of ['a=100%&b=%41', 'a=%FF%FE', 'caf\u00e9%41%zz']) {
      expect(pairs(decodeForm(Buffer.from(text, 'utf8')))).toEqual(reference(text));
    }
    expect(reference('caf\u00e9%41%zz')).toEqual([['caf\ufffdA%zz', '']]);
  });

  test('refuses a body that is not UTF-8, before reading any field', () => {
    expect(decodeForm(Buffer.from([0x61, 0x3d, 0xff]))).toBeUndefined();
  });

  test('agrees with URLSearchParams on any UTF-8 body, in text and bytes', () => {
    const atom = fc.constantFrom('a', 'Z', '=', '&', '+', '?', '%', '%4', '%41', '%2b', '%26', '%3D', '%C3%A9', '%C3', '%A9', '%E2%98%95', '%ED%A0%80', '%FF', '%zz', '%%', '%EF%BB%BF', '%00', 'é', '☕', '😀', '\ufeff', ' ', '"');
    fc.assert(fc.property(fc.array(atom, { maxLength: 16 }).map((atoms) => atoms.join('')), (text) => {
      expect(pairs(decodeForm(Buffer.from(text, 'utf8')))).toEqual(reference(text));
    }), { numRuns: 3000, seed: 13 });
  });

  test('the reference reading records every field\'s bytes back to back, names before values', () => {
    const form = decodeFormAsUrlSearchParams(Buffer.from('b=%FF&a=1', 'utf8'));
    expect(form.fields).toEqual([
      { name: 'b', value: '\ufffd', start: 0, valueStart: 1, end: 4 },
      { name: 'a', value: '1', start: 4, valueStart: 5, end: 6 },
    ]);
    expect(form.bytes).toEqual(Buffer.from('b\ufffda1', 'utf8'));
  });

  test.each([
    ['plain fields, "+" and escaped multi-byte text', 'a=x+y&b=caf%C3%A9', false],
    ['an escaped quote, in a field before others', 'a=%22&b=1', true],
    ['an escaped backslash in a name', '%5C=1', true],
    ['an escaped newline', 'a=%0A', true],
    ['a raw quote', 'a="', true],
    ['a raw control character', 'a=\u0001', true],
    ['an escaped quote, read by the reference decoder', 'a=%22&b=%FF', true],
    ['nothing to escape, read by the reference decoder', 'a=%FF', false],
  ])('notes whether any decoded byte needs escaping in JSON: %s', (_case, text, jsonEscapes) => {
    expect(decodeForm(Buffer.from(text, 'utf8'))?.jsonEscapes).toBe(jsonEscapes);
  });
});

describe('parseForm', () => {
  test('groups values by name, in order of appearance', () => {
    expect(parseForm(Buffer.from('b=2&a=1&b=3&b=2', 'utf8'))).toEqual(new Map([['b', ['2', '3', '2']], ['a', ['1']]]));
  });

  test('is undefined for a body that is not UTF-8', () => {
    expect(parseForm(Buffer.from([0xff]))).toBeUndefined();
  });
});

describe('setOwnProperty', () => {
  test('"__proto__" becomes an own data property; the prototype stays Object.prototype', () => {
    const record: Record<string, unknown> = {};
    setOwnProperty(record, '__proto__', 'polluted');
    setOwnProperty(record, 'constructor', 'x');
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.entries(record)).toEqual([['__proto__', 'polluted'], ['constructor', 'x']]);
    expect(record).toEqual(Object.fromEntries([['__proto__', 'polluted'], ['constructor', 'x']]));
  });

  test('the property is writable, enumerable and configurable, as an assignment would make it', () => {
    const record: Record<string, unknown> = {};
    setOwnProperty(record, '__proto__', 1);
    setOwnProperty(record, 'name', 2);
    for (const name of ['__proto__', 'name']) {
      expect(Object.getOwnPropertyDescriptor(record, name)).toMatchObject({ writable: true, enumerable: true, configurable: true });
    }
  });
});

describe('needsJsonEscape', () => {
  test.each([
    ['plain text and multi-byte UTF-8', 'abc é ☕ \u2028', false],
    ['a double quote', 'a"b', true],
    ['a backslash', 'a\\b', true],
    ['U+001F, the last control character', 'a\u001fb', true],
    ['NUL', '\u0000', true],
    ['a space, the first character not escaped', ' ', false],
  ])('%s: %p', (_case, text, expected) => {
    expect(needsJsonEscape(Buffer.from(text, 'utf8'), 0, Buffer.byteLength(text))).toBe(expected);
  });

  test('looks only within [start, end)', () => {
    const bytes = Buffer.from('"abc"', 'utf8');
    expect(needsJsonEscape(bytes, 1, 4)).toBe(false);
    expect(needsJsonEscape(bytes, 0, 4)).toBe(true);
    expect(needsJsonEscape(bytes, 1, 5)).toBe(true);
  });
});
