import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { parseTimestampedDigests, verifyV0Signature } from '../../../lambda/verifier/signature-headers';
import { context, inbound } from '../../support/requests';

const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;
const hex32 = (fill: number) => Buffer.alloc(32, fill).toString('hex');

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

  test('reads every header as splitting it and trimming each key and value would (property)', () => {
    /** The plain reading the parser must agree with: split on the separator, then on the first "=", trim both sides. */
    const reference = (header: string, layout: typeof stripe) => {
      let timestamp = '';
      let timestamps = 0;
      const digests: Buffer[] = [];
      for (const element of header.split(layout.separator)) {
        const eq = element.indexOf('=');
        if (eq <= 0) return malformed('Stripe-Signature has an element without a key');
        const key = element.slice(0, eq).trim();
        const value = element.slice(eq + 1).trim();
        if (key === layout.timestampKey) {
          timestamp = value;
          timestamps++;
        } else if (key === layout.signatureKey && /^[0-9a-f]{64}$/i.test(value)) {
          digests.push(Buffer.from(value, 'hex'));
        }
      }
      if (timestamps !== 1) return malformed(`Stripe-Signature must carry exactly one ${layout.timestampKey}=`);
      if (digests.length === 0) return malformed(`Stripe-Signature carries no well-formed ${layout.signatureKey} signature`);
      return { timestamp, digests };
    };
    // Whitespace trim() removes (ASCII, Unicode, the BOM) and characters it keeps, around the pieces a header is made of.
    const space = fc.constantFrom('', ' ', '\t', '\u00a0', '\ufeff', '\u2028', '\u3000', '\u0085', 'x');
    const piece = fc.constantFrom('t', 'v1', 'v0', 'ts', 'h1', String(NOW_S), hex32(1), hex32(2).toUpperCase(), 'ab', '=', '');
    const element = fc.tuple(space, piece, space, fc.constantFrom('=', ''), space, piece, space).map((parts) => parts.join(''));
    for (const layout of [stripe, paddle]) {
      fc.assert(fc.property(fc.array(element, { minLength: 1, maxLength: 4 }), (elements) => {
        const header = elements.join(layout.separator);
        expect(parseTimestampedDigests(header, 'Stripe-Signature', layout)).toEqual(reference(header, layout));
      }), { numRuns: 2000 });
    }
  });

  test('a layout key is compared with the trimmed key, even where the header has it verbatim', () => {
    // Only a trimmed key can match: " t" never equals a trimmed element key.
    expect(parseTimestampedDigests(` t=1,v1=${hex32(1)}`, 'X', { separator: ',', timestampKey: ' t', signatureKey: 'v1' })).toEqual(malformed('X must carry exactly one  t='));
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
