import { createHash, createHmac, createSecretKey, generateKeyPairSync, sign, type KeyObject, type timingSafeEqual } from 'node:crypto';
import fc from 'fast-check';
import { anyKeyVerifies, anyMatches, cachedKeyParser, constantTimeEqual, decodeBase64, decodeBase64Loose, decodeHex, hmac, hmacKey, macMatches, ONE_SHOT_COPY_LIMIT, signedContentKey } from '../../../lambda/verifier/crypto';

const bytes = (...values: number[]) => Buffer.from(values);

describe('hmac', () => {
  test('matches RFC 4231 test case 2 whichever way the message is split into parts', () => {
    const expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    expect(hmac('sha256', 'Jefe', 'what do ya want for nothing?').toString('hex')).toBe(expected);
    expect(hmac('sha256', Buffer.from('Jefe'), 'what do ', Buffer.from('ya want'), ' for nothing?').toString('hex')).toBe(expected);
  });
});

describe('hmacKey', () => {
  test('is the secret\'s UTF-8 bytes as a KeyObject, built once per secret', () => {
    const key = hmacKey('sécret-a');
    expect(key.export()).toEqual(Buffer.from('sécret-a', 'utf8'));
    expect(hmacKey('sécret-a')).toBe(key);
    expect(hmacKey('sécret-b')).not.toBe(key);
  });

  test('a string key, its KeyObject and its bytes give the HMAC createHmac gives for the string', () => {
    const expected = createHmac('sha1', 'sécret').update('a').update('b').digest();
    expect(hmac('sha1', 'sécret', 'a', Buffer.from('b'))).toEqual(expected);
    expect(hmac('sha1', hmacKey('sécret'), 'ab')).toEqual(expected);
    expect(hmac('sha1', Buffer.from('sécret', 'utf8'), 'ab')).toEqual(expected);
  });
});

describe('signedContentKey', () => {
  const reference = (...parts: (string | Buffer)[]) => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest('hex');

  test.each([
    ['one part', ['the body']],
    ['several parts, strings and bytes, multi-byte UTF-8 among them', ['1700000000.', Buffer.from('é☕'), 'tail é']],
    ['no parts', []],
    ['parts of exactly the copy limit in all', ['x', Buffer.alloc(ONE_SHOT_COPY_LIMIT - 1, 7)]],
    ['parts one byte over the copy limit', ['xy', Buffer.alloc(ONE_SHOT_COPY_LIMIT - 1, 7)]],
  ])('is the SHA-256 (hex) of %s, concatenated', (_case, parts) => {
    expect(signedContentKey(...parts)).toBe(reference(...parts));
  });

  test('every split of the same bytes gives the same key', () => {
    expect(signedContentKey('ab', 'c')).toBe(signedContentKey('a', 'bc'));
    expect(signedContentKey('abc')).toBe(signedContentKey('a', Buffer.from('b'), 'c'));
  });
});

describe('constantTimeEqual / anyMatches', () => {
  test.each([
    ['equal buffers', Buffer.alloc(32, 7), Buffer.alloc(32, 7), true],
    ['same length, one byte differs', Buffer.alloc(32, 7), Buffer.concat([Buffer.alloc(31, 7), bytes(8)]), false],
    // timingSafeEqual throws on a length mismatch: the helper must answer false instead.
    ['candidate shorter', Buffer.alloc(32, 7), Buffer.alloc(31, 7), false],
    ['candidate longer', Buffer.alloc(32, 7), Buffer.alloc(33, 7), false],
    ['empty candidate', Buffer.alloc(32, 7), Buffer.alloc(0), false],
  ])('%s', (_name, expected, candidate, result) => {
    expect(constantTimeEqual(expected, candidate)).toBe(result);
  });

  test('anyMatches is true when any candidate equals any expected digest, including after a length mismatch', () => {
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 2);
    expect(anyMatches([a, b], [Buffer.alloc(20), Buffer.from(b)])).toBe(true);
    expect(anyMatches([a], [Buffer.alloc(20), b])).toBe(false);
    expect(anyMatches([], [a])).toBe(false);
  });
});

describe('macMatches', () => {
  const mac = (key: string, ...parts: string[]) => {
    const h = createHmac('sha256', key);
    for (const part of parts) h.update(part);
    return h.digest();
  };

  test('agrees with "any key\'s HMAC of the parts equals any candidate" (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.string(), { maxLength: 3 }),
      fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.oneof(fc.nat(), fc.constant(-1)), { maxLength: 3 }),
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 2 }),
      (parts, keys, pick, noise) => {
        // Candidates: some keys' true MACs (by index), a truncated MAC, and random digests.
        const candidates = [
          ...pick.map((i) => (i < 0 ? mac(keys[0], ...parts).subarray(0, 31) : mac(keys[i % keys.length], ...parts))),
          ...noise.map((bytes) => Buffer.from(bytes)),
        ];
        const expected = keys.some((key) => candidates.some((candidate) => candidate.equals(mac(key, ...parts))));
        expect(macMatches('sha256', keys, candidates, ...parts)).toBe(expected);
      },
    ));
  });

  test('the parts are concatenated: any split of the same bytes gives the same answer', () => {
    const digest = mac('k', 'ab.c', 'body');
    expect(macMatches('sha256', ['k'], [digest], 'a', Buffer.from('b.'), 'cbo', 'dy')).toBe(true);
    expect(macMatches('sha256', ['k'], [digest], 'ab.', 'cbody!')).toBe(false);
  });

  test('compares every key\'s MAC with every candidate, even after a match (no early exit)', () => {
    // The module object the verifier's crypto.ts calls through (a namespace import's bindings cannot be spied on).
    const spy = jest.spyOn(require('node:crypto') as { timingSafeEqual: typeof timingSafeEqual }, 'timingSafeEqual');
    try {
      const digest = mac('second', 'x');
      expect(macMatches('sha256', ['first', 'second', 'third'], [digest, Buffer.alloc(32)], 'x')).toBe(true);
      expect(spy).toHaveBeenCalledTimes(6);
    } finally {
      spy.mockRestore();
    }
  });

  test('no keys, no candidates: no match', () => {
    expect(macMatches('sha256', [], [mac('k', 'x')], 'x')).toBe(false);
    expect(macMatches('sha256', ['k'], [], 'x')).toBe(false);
  });
});

describe('decodeHex', () => {
  test.each([
    ['00ff', bytes(0x00, 0xff)],
    ['ABcd', bytes(0xab, 0xcd)],
  ])('decodes %p', (input, expected) => {
    expect(decodeHex(input)).toEqual(expected);
  });

  test.each([
    ['empty input (Node would give an empty buffer)', ''],
    ['odd length', 'abc'],
    ['a single digit', 'a'],
    ['a non-hex pair', 'zz'],
    ['a non-hex pair after valid ones', '00zz'],
  ])('refuses %s', (_name, input) => {
    expect(decodeHex(input)).toBeUndefined();
  });
});

describe('decodeBase64 (strict, padded)', () => {
  test.each([
    ['AA==', bytes(0)],
    ['AQ==', bytes(1)],
    ['AAE=', bytes(0, 1)],
    ['AAAA', bytes(0, 0, 0)],
    ['+/+/', bytes(0xfb, 0xff, 0xbf)],
  ])('decodes %p', (input, expected) => {
    expect(decodeBase64(input)).toEqual(expected);
  });

  test.each([
    ['empty input (Node would give an empty buffer)', ''],
    ['missing padding', 'AA'],
    // Non-canonical: the bits past the last byte must be zero. Node decodes these as if they were.
    ['"==" after a char with a low bit set (B = 000001)', 'AB=='],
    ['"==" after a char with bits 2-3 set (E = 000100): the mask before "==" is 4 bits', 'AE=='],
    ['"=" after a char with a low bit set (B = 000001)', 'AAB='],
    ['"=" in the middle', 'AA=A'],
    ['padding followed by more data', 'AA==AAAA'],
    ['three padding characters', 'AA==='],
    ['url-safe characters', 'AA-_'],
    ['a space', 'AA A'],
    ['a character outside the alphabet', 'AA*A'],
  ])('refuses %s', (_name, input) => {
    expect(decodeBase64(input)).toBeUndefined();
  });
});

describe('decodeBase64Loose (standard or url-safe, padding optional)', () => {
  test.each([
    // url-safe "-" is "+" and "_" is "/"
    ['----', bytes(0xfb, 0xef, 0xbe)],
    ['____', bytes(0xff, 0xff, 0xff)],
    ['-_-_', bytes(0xfb, 0xff, 0xbf)],
    ['+/+/', bytes(0xfb, 0xff, 0xbf)],
    // padding optional
    ['AA', bytes(0)],
    ['AA==', bytes(0)],
    ['AAE', bytes(0, 1)],
    ['AAE=', bytes(0, 1)],
    ['AAAA', bytes(0, 0, 0)],
  ])('decodes %p', (input, expected) => {
    expect(decodeBase64Loose(input)).toEqual(expected);
  });

  test.each([
    ['empty input', ''],
    ['more than two "="', 'AA==='],
    // padding is either absent or exactly what the length needs: no second spelling of one signature
    ['"=" where no padding is due', 'AAAA='],
    ['"==" where no padding is due', 'AAAA=='],
    ['one "=" where two are due', 'AA='],
    ['two "=" where one is due', 'AAE=='],
    ['"=" in the middle', 'AA=A'],
    ['a space', 'AA AA'],
    ['a character outside both alphabets', 'AA*A'],
    ['a length no padding can fix', 'AAAAA'],
    ['non-canonical trailing bits, unpadded', 'AB'],
    ['non-canonical trailing bits, padded', 'AB=='],
  ])('refuses %s', (_name, input) => {
    expect(decodeBase64Loose(input)).toBeUndefined();
  });
});

describe('cachedKeyParser', () => {
  // The cache is observable through how often `parse` runs and through the identity of what it returns.
  function parser() {
    const parse = jest.fn((text: string): KeyObject | undefined => (text === 'unusable' ? undefined : createSecretKey(Buffer.from(text))));
    return { parse, cached: cachedKeyParser(parse) };
  }

  test('parses a key once and returns the same object afterwards', () => {
    const { parse, cached } = parser();
    const first = cached('a');
    expect(cached('a')).toBe(first);
    expect(parse).toHaveBeenCalledTimes(1);
  });

  test('caches an unusable key (undefined) too', () => {
    const { parse, cached } = parser();
    expect(cached('unusable')).toBeUndefined();
    expect(cached('unusable')).toBeUndefined();
    expect(parse).toHaveBeenCalledTimes(1);
  });

  test('keeps several keys at once (rotation): alternating keys are not re-parsed', () => {
    const { parse, cached } = parser();
    const a = cached('a');
    const b = cached('b');
    expect(cached('a')).toBe(a);
    expect(cached('b')).toBe(b);
    expect(parse).toHaveBeenCalledTimes(2);
  });

  test('keeps 16 keys, and starts afresh when a 17th arrives', () => {
    const { parse, cached } = parser();
    const texts = Array.from({ length: 16 }, (_, i) => `key-${i}`);
    const firsts = texts.map((text) => cached(text));
    texts.forEach((text, i) => expect(cached(text)).toBe(firsts[i]));
    expect(parse).toHaveBeenCalledTimes(16);

    const extra = cached('key-16');
    expect(parse).toHaveBeenCalledTimes(17);
    expect(cached('key-16')).toBe(extra); // the newcomer is kept
    const again = cached('key-0'); // an old one was dropped, so it is parsed anew
    expect(parse).toHaveBeenCalledTimes(18);
    expect(again).not.toBe(firsts[0]);
  });
});

describe('anyKeyVerifies', () => {
  const data = Buffer.from('signed content');
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const edSignature = sign(null, data, ed.privateKey);
  const ecSignature = sign('sha256', data, ec.privateKey);

  test('true when a key verifies the signature, false when none does', () => {
    expect(anyKeyVerifies(null, data, [ed.publicKey], edSignature)).toBe(true);
    expect(anyKeyVerifies(null, Buffer.from('other content'), [ed.publicKey], edSignature)).toBe(false);
    expect(anyKeyVerifies(null, data, [ed.publicKey], Buffer.alloc(3))).toBe(false);
    expect(anyKeyVerifies(null, data, [], edSignature)).toBe(false);
  });

  test('a key that makes verify throw counts as a mismatch, and the other keys are still tried', () => {
    // node:crypto throws (invalid digest) when an Ed25519 key is used with sha256
    expect(anyKeyVerifies('sha256', data, [ed.publicKey], ecSignature)).toBe(false);
    expect(anyKeyVerifies('sha256', data, [ed.publicKey, ec.publicKey], ecSignature)).toBe(true);
  });
});
