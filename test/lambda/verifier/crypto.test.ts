import { createHash, createHmac, createSecretKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  anyKeyVerifies, anyMatches, cachedKeyParser, checkWindow, constantTimeEqual, decodeBase64, decodeBase64Loose, decodeHex,
  hmac, hmacKey, isRejection, ONE_SHOT_COPY_LIMIT, parseEpoch, parseTimestampedDigests, reject, signedContentKey, verifySecondsTimestamp, verifyV0Signature,
} from '../../../lambda/verifier/crypto';
import { context, inbound } from '../../support/requests';

const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;

const bytes = (...values: number[]) => Buffer.from(values);
const hex32 = (fill: number) => Buffer.alloc(32, fill).toString('hex');

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

describe('reject / isRejection', () => {
  test('reject builds the rejection verbatim', () => {
    expect(reject(400, 'malformed_body', 'why')).toEqual({ ok: false, status: 400, code: 'malformed_body', detail: 'why' });
  });

  test.each([
    ['a rejection', reject(401, 'bad_signature', 'x'), true],
    ['any object with ok: false', { ok: false }, true],
    ['an object with ok: true', { ok: true }, false],
    ['an object without ok', {}, false],
    ['a number (a timestamp result)', 1_700_000_000_000, false],
    ['a string', 'ok', false],
    // reading .ok of these would throw, or (for a function) treat a non-object as a rejection
    ['null', null, false],
    ['undefined', undefined, false],
    ['a function with ok: false', Object.assign(() => undefined, { ok: false }), false],
  ])('%s -> %p', (_name, value, expected) => {
    expect(isRejection(value)).toBe(expected);
  });
});

describe('parseEpoch', () => {
  test.each([
    ['0', undefined, 0],
    ['1700000000', undefined, 1_700_000_000],
    ['1700000000000', undefined, 1_700_000_000_000], // 13 digits: the default maximum is allowed
    ['123', 3, 123], // exactly maxDigits
  ])('parses %p (max %p digits)', (input, maxDigits, expected) => {
    expect(parseEpoch(input, maxDigits)).toBe(expected);
  });

  test.each([
    ['undefined', undefined, undefined],
    ['empty', '', undefined],
    ['14 digits (default max 13)', '17000000000000', undefined],
    ['one digit over an explicit max', '1234', 3],
    ['a sign', '-1', undefined],
    ['a plus sign', '+1', undefined],
    ['an exponent', '1e3', undefined],
    ['a decimal point', '1.5', undefined],
    ['leading space', ' 1', undefined],
    ['trailing space', '1 ', undefined],
    ['hex', '0x10', undefined],
    ['"/" (just below "0")', '1/', undefined],
    ['":" (just above "9")', '1:', undefined],
  ])('refuses %s', (_name, input, maxDigits) => {
    expect(parseEpoch(input, maxDigits)).toBeUndefined();
  });
});

describe('checkWindow', () => {
  test.each([
    ['now', NOW_MS],
    ['exactly the tolerance old', NOW_MS - 300_000],
    ['exactly the tolerance ahead', NOW_MS + 300_000],
  ])('accepts a timestamp %s', (_name, timestampMs) => {
    expect(checkWindow(timestampMs, NOW_MS, 300)).toBeUndefined();
  });

  // The detail reaches the sender: it names the direction and the skew rounded to whole seconds.
  test.each([
    ['old, rounded down', NOW_MS - 301_400, 'signed timestamp is 301 s old; tolerance is 300 s'],
    ['old, rounded up', NOW_MS - 301_600, 'signed timestamp is 302 s old; tolerance is 300 s'],
    ['in the future', NOW_MS + 301_600, 'signed timestamp is 302 s in the future; tolerance is 300 s'],
    ['one millisecond too far ahead', NOW_MS + 300_001, 'signed timestamp is 300 s in the future; tolerance is 300 s'],
  ])('rejects a timestamp %s', (_name, timestampMs, detail) => {
    expect(checkWindow(timestampMs, NOW_MS, 300)).toEqual({ ok: false, status: 401, code: 'timestamp_out_of_window', detail });
  });
});

describe('verifySecondsTimestamp', () => {
  const malformed = { ok: false, status: 401, code: 'malformed_timestamp', detail: 'timestamp is not a whole number of seconds' };

  test('returns the timestamp in milliseconds when it is within the window', () => {
    expect(verifySecondsTimestamp(String(NOW_S - 10), NOW_MS, 300)).toBe(NOW_MS - 10_000);
  });

  test.each([
    ['absent', undefined],
    ['not digits', 'abc'],
    ['fractional', `${NOW_S}.0`],
    ['13 digits (milliseconds are not seconds)', String(NOW_MS)],
  ])('rejects a timestamp that is %s as malformed', (_name, raw) => {
    expect(verifySecondsTimestamp(raw, NOW_MS, 300)).toEqual(malformed);
  });

  test('passes on the window rejection', () => {
    expect(verifySecondsTimestamp(String(NOW_S - 400), NOW_MS, 300)).toEqual({
      ok: false, status: 401, code: 'timestamp_out_of_window', detail: 'signed timestamp is 400 s old; tolerance is 300 s',
    });
  });
});

describe('parseTimestampedDigests', () => {
  const stripe = { separator: ',', timestampKey: 't', signatureKey: 'v1' };
  const paddle = { separator: ';', timestampKey: 'ts', signatureKey: 'h1' };
  const parse = (header: string) => parseTimestampedDigests(header, 'Stripe-Signature', stripe);
  const malformed = (detail: string) => ({ ok: false, status: 401, code: 'malformed_signature', detail });

  test('collects the one timestamp and every 32-byte digest under the signature key; other keys are ignored', () => {
    expect(parse(`t=${NOW_S},v1=${hex32(1)},v0=${hex32(3)},v1=${hex32(2)}`)).toEqual({
      timestamp: String(NOW_S), digests: [Buffer.alloc(32, 1), Buffer.alloc(32, 2)],
    });
  });

  test('skips malformed digests when a well-formed one is present', () => {
    expect(parse(`t=1,v1=abcd,v1=${hex32(1)},v1=zz`)).toEqual({ timestamp: '1', digests: [Buffer.alloc(32, 1)] });
  });

  test.each([
    ['around keys', ` t =${NOW_S}, v1 =${hex32(1)}`],
    ['around values', `t= ${NOW_S} ,v1= ${hex32(1)} `],
  ])('trims spaces %s', (_name, header) => {
    expect(parse(header)).toEqual({ timestamp: String(NOW_S), digests: [Buffer.alloc(32, 1)] });
  });

  test('reads the last element up to the end of the header, and a value may contain "="', () => {
    expect(parse(`v1=${hex32(1)},t=${NOW_S}`)).toEqual({ timestamp: String(NOW_S), digests: [Buffer.alloc(32, 1)] });
    expect(parse(`t=1=2,v1=${hex32(1)}`)).toEqual({ timestamp: '1=2', digests: [Buffer.alloc(32, 1)] });
  });

  test('a separator of several characters is one separator', () => {
    expect(parseTimestampedDigests(`t=1, v1=${hex32(1)}`, 'X', { separator: ', ', timestampKey: 't', signatureKey: 'v1' })).toEqual({ timestamp: '1', digests: [Buffer.alloc(32, 1)] });
  });

  test('uses the layout given (Paddle: ";", ts, h1)', () => {
    expect(parseTimestampedDigests(`ts=${NOW_S};h1=${hex32(1)}`, 'Paddle-Signature', paddle)).toEqual({
      timestamp: String(NOW_S), digests: [Buffer.alloc(32, 1)],
    });
    expect(parseTimestampedDigests(`ts=${NOW_S}`, 'Paddle-Signature', paddle))
      .toEqual(malformed('Paddle-Signature carries no well-formed h1 signature'));
    expect(parseTimestampedDigests(`h1=${hex32(1)}`, 'Paddle-Signature', paddle))
      .toEqual(malformed('Paddle-Signature must carry exactly one ts='));
  });

  test.each([
    ['an element without "="', `t=1,v1=${hex32(1)},junk`],
    ['an element with an empty key ("=" at index 0)', `t=1,v1=${hex32(1)},=x`],
    ['a header that is only "=x"', '=x'],
    ['a trailing separator', `t=1,v1=${hex32(1)},`],
    ['an empty header', ''],
    ['an element without "=" before one with it', `t=1,junk,v1=${hex32(1)}`],
    ['an empty element between two', `t=1,,v1=${hex32(1)}`],
    ['a leading separator', `,t=1,v1=${hex32(1)}`],
  ])('rejects %s', (_name, header) => {
    expect(parse(header)).toEqual(malformed('Stripe-Signature has an element without a key'));
  });

  test.each([
    ['no timestamp', `v1=${hex32(1)}`],
    ['two timestamps', `t=1,t=2,v1=${hex32(1)}`],
  ])('rejects %s', (_name, header) => {
    expect(parse(header)).toEqual(malformed('Stripe-Signature must carry exactly one t='));
  });

  test.each([
    ['no signature element', 't=1'],
    ['only other schemes', `t=1,v0=${hex32(1)}`],
    ['a digest of the wrong length', `t=1,v1=${Buffer.alloc(20, 1).toString('hex')}`],
    ['a digest that is not hex', `t=1,v1=${'z'.repeat(64)}`],
  ])('rejects %s', (_name, header) => {
    expect(parse(header)).toEqual(malformed('Stripe-Signature carries no well-formed v1 signature'));
  });
});

describe('verifyV0Signature (Slack and Zoom)', () => {
  const body = '{"type":"event_callback"}';
  const v0 = (secret: string, timestamp: string | number = NOW_S) =>
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const verify = (headers: Record<string, string>, secrets = ['first', 'second']) =>
    verifyV0Signature(inbound({ body, headers }), context(secrets, NOW_MS), 'X-Sig', 'X-Ts');
  const rejected = (code: string, detail: string) => ({ ok: false, status: 401, code, detail });

  test('returns the secret that matched, trying every secret', () => {
    expect(verify({ 'X-Sig': v0('second'), 'X-Ts': String(NOW_S) })).toEqual({ secret: 'second' });
    expect(verify({ 'X-Sig': v0('first'), 'X-Ts': String(NOW_S) })).toEqual({ secret: 'first' });
  });

  test('names the missing signature header', () => {
    expect(verify({ 'X-Ts': String(NOW_S) })).toEqual(rejected('missing_signature', 'missing X-Sig header'));
  });

  test.each([
    ['another version prefix', v0('first').replace('v0=', 'v1=')],
    ['no prefix', v0('first').slice(3)],
    ['a short digest', v0('first').slice(0, -2)],
    ['non-hex digits', `v0=${'z'.repeat(64)}`],
  ])('rejects a signature with %s as malformed', (_name, signature) => {
    expect(verify({ 'X-Sig': signature, 'X-Ts': String(NOW_S) })).toEqual(rejected('malformed_signature', 'X-Sig is not v0=<64 hex digits>'));
  });

  test('passes on a timestamp rejection', () => {
    expect(verify({ 'X-Sig': v0('first', 'x'), 'X-Ts': 'x' }))
      .toEqual(rejected('malformed_timestamp', 'timestamp is not a whole number of seconds'));
    expect(verify({ 'X-Sig': v0('first', NOW_S - 400), 'X-Ts': String(NOW_S - 400) }))
      .toEqual(rejected('timestamp_out_of_window', 'signed timestamp is 400 s old; tolerance is 300 s'));
  });

  test('rejects a signature no secret produced', () => {
    expect(verify({ 'X-Sig': v0('other'), 'X-Ts': String(NOW_S) })).toEqual(rejected('bad_signature', 'signature does not match'));
    // signed for another timestamp than the one sent
    expect(verify({ 'X-Sig': v0('first', NOW_S - 1), 'X-Ts': String(NOW_S) })).toEqual(rejected('bad_signature', 'signature does not match'));
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
