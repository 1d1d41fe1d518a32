import fc from 'fast-check';
import { decodeBase64 } from '../../../lambda/verifier/crypto';
import { ConflictingHeaderError, MalformedRequestError } from '../../../lambda/verifier/errors';
import { lowerCaseName, toInboundRequest } from '../../../lambda/verifier/http';
import { apiGatewayEvent } from '../../support/requests';

describe('toInboundRequest', () => {
  test('base64 bodies decode to the exact bytes, including invalid UTF-8 and multibyte text', () => {
    const bytes = Buffer.concat([Buffer.from('café ☕ 🎉', 'utf8'), Buffer.from([0xff, 0x00, 0xc3])]);
    expect(toInboundRequest(apiGatewayEvent({ body: bytes })).body.equals(bytes)).toBe(true);
  });

  test('an empty or absent body is zero bytes', () => {
    expect(toInboundRequest(apiGatewayEvent({ body: '' })).body.length).toBe(0);
    expect(toInboundRequest({ ...apiGatewayEvent({ body: 'x' }), body: null }).body.length).toBe(0);
  });

  test('a body flagged base64 that is not strict base64 is refused', () => {
    for (const body of ['abc', 'ab=c', 'a b c d', '####']) {
      expect(() => toInboundRequest({ ...apiGatewayEvent({ body: 'x' }), body })).toThrow(MalformedRequestError);
    }
  });

  test('the largest body API Gateway can send (4,560 KiB, 6 MiB of base64) decodes, and is held to the same strictness as a small one', () => {
    // GIVEN a body at the ceiling, of every byte value
    const bytes = Buffer.alloc(4560 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 10)) & 0xff;
    const text = bytes.toString('base64');
    // THEN it decodes exactly (decodeBase64's regular expression overflows V8's stack on it)
    expect(() => decodeBase64(text)).toThrow(RangeError);
    expect(toInboundRequest({ ...apiGatewayEvent({ body: 'x' }), body: text }).body.equals(bytes)).toBe(true);
    // AND what a small body may not be, a large one may not be either: each is refused
    const altered = [
      `${text.slice(0, -4)}A===`, // surplus padding
      `${text.slice(0, 100)} ${text.slice(100)}`, // a space Node would skip
      `${text.slice(0, 100)}-${text.slice(101)}`, // the URL-safe alphabet
      `${text.slice(0, -1)}`, // truncated
      `${text}AAA=`.replace(/AAA=$/, 'AAB='), // non-zero bits after the last byte
    ];
    for (const body of altered) {
      expect(() => toInboundRequest({ ...apiGatewayEvent({ body: 'x' }), body })).toThrow(MalformedRequestError);
    }
  });

  test('long and short base64 bodies are judged alike (property: the round-trip check agrees with decodeBase64)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ ';
    fc.assert(fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 24 }).map((chars) => chars.join('')), fc.boolean(), (tail, valid) => {
      // A long valid prefix, and a short tail that may break it: the long path must accept exactly what the short path accepts for the tail
      const prefix = Buffer.alloc(786_432, 0x41).toString('base64'); // 1 MiB of base64, a multiple of 4
      const short = valid ? Buffer.from(tail).toString('base64') : tail;
      const expected = decodeBase64(short);
      let decoded: Buffer | undefined;
      try {
        decoded = toInboundRequest({ ...apiGatewayEvent({ body: 'x' }), body: prefix + short }).body;
      } catch (error) {
        expect(error).toBeInstanceOf(MalformedRequestError);
      }
      expect(decoded === undefined ? undefined : decoded.subarray(786_432).toString('hex')).toEqual(expected?.toString('hex'));
    }), { numRuns: 60 });
  });

  test('header lookup ignores case; repeated identical values are fine, conflicting ones are refused', () => {
    const request = toInboundRequest(apiGatewayEvent({ body: '{}', headers: { 'X-Sig': 'a', 'x-other': ['1', '1'], 'X-Twice': ['1', '2'] } }));
    expect(request.header('x-sig')).toBe('a');
    expect(request.header('X-SIG')).toBe('a');
    expect(request.header('X-Other')).toBe('1');
    expect(request.header('missing')).toBeUndefined();
    expect(() => request.header('x-twice')).toThrow(ConflictingHeaderError);
  });

  test('the same header sent under two spellings with different values is a conflict', () => {
    const request = toInboundRequest(apiGatewayEvent({ body: '{}', headers: { 'X-Sig': 'a', 'x-sig': 'b' } }));
    expect(() => request.header('X-Sig')).toThrow(ConflictingHeaderError);
  });

  test('the public URL is rebuilt from the domain, the stage path and the query; an explicit one wins', () => {
    const event = apiGatewayEvent({ body: '{}', domainName: 'hooks.example.com', stage: 'v1', path: '/twilio', query: { a: '1', b: ['2', '3'] } });
    expect(toInboundRequest(event).url).toBe('https://hooks.example.com/v1/twilio?a=1&b=2&b=3');
    expect(toInboundRequest(event, 'https://public.example.com/hook').url).toBe('https://public.example.com/hook?a=1&b=2&b=3');
  });
});

describe('lowerCaseName', () => {
  test('lower-cases as toLowerCase does, on the first call and from the memo afterwards', () => {
    for (const name of ['X-Twilio-Signature', 'x-already-lower', 'Stripe-Signature', 'X-İ-Header']) {
      expect(lowerCaseName(name)).toBe(name.toLowerCase());
      expect(lowerCaseName(name)).toBe(name.toLowerCase());
    }
  });

  test('stays right past the memo\'s bound, when it starts over', () => {
    const names = Array.from({ length: 600 }, (_, i) => `X-Header-${i}`);
    for (const name of names) expect(lowerCaseName(name)).toBe(name.toLowerCase());
    for (const name of names) expect(lowerCaseName(name)).toBe(name.toLowerCase());
  });
});
