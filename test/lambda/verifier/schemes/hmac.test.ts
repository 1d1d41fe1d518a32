import { createHash, createHmac } from 'node:crypto';
import { hmacScheme, layoutProblem, type HmacOptions } from '../../../../lambda/verifier/schemes/hmac';
import { context, inbound, contentKeyed } from '../../../support/requests';

const SECRET = 'generic-secret';
const NOW_S = 1_700_000_000;
const body = JSON.stringify({ id: 'ev_1', kind: 'order.created', shop: 's1' });

const base: HmacOptions = { header: 'X-Signature', algorithm: 'sha256', encoding: 'hex', eventId: { jsonPath: 'id' } };

function mac(algorithm: 'sha1' | 'sha256' | 'sha512', content: string, encoding: 'hex' | 'base64' = 'hex', secret = SECRET) {
  return createHmac(algorithm, secret).update(content).digest(encoding);
}

function verify(options: HmacOptions, headers: Record<string, string>, payload = body, nowS = NOW_S) {
  return hmacScheme.verify(inbound({ body: payload, headers }), context([SECRET], nowS * 1000), options);
}

describe('generic hmac scheme', () => {
  test.each(['sha1', 'sha256', 'sha512'] as const)('%s over the body, hex', (algorithm) => {
    expect(verify({ ...base, algorithm }, { 'X-Signature': mac(algorithm, body) })).toMatchObject({ ok: true, event: { id: 'ev_1' } });
    expect(verify({ ...base, algorithm }, { 'X-Signature': mac(algorithm, body + 'x') })).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('base64 with a prefix', () => {
    const options: HmacOptions = { ...base, encoding: 'base64', prefix: 'sha256=' };
    expect(verify(options, { 'X-Signature': `sha256=${mac('sha256', body, 'base64')}` })).toMatchObject({ ok: true });
    expect(verify(options, { 'X-Signature': mac('sha256', body, 'base64') })).toMatchObject({ ok: false, code: 'malformed_signature' });
  });

  test('a signed timestamp in a layout of the user\'s choosing, with a symmetric window', () => {
    const options: HmacOptions = { ...base, timestampHeader: 'X-Timestamp', signedContent: 'v1:{timestamp}:{body}' };
    const sign = (ts: number) => ({ 'X-Signature': mac('sha256', `v1:${ts}:${body}`), 'X-Timestamp': String(ts) });
    expect(verify(options, sign(NOW_S))).toMatchObject({ ok: true });
    expect(verify(options, sign(NOW_S - 301))).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    expect(verify(options, sign(NOW_S + 301))).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    expect(verify(options, { ...sign(NOW_S), 'X-Timestamp': `${NOW_S}.0` })).toMatchObject({ ok: false, code: 'malformed_timestamp' });
  });

  test('millisecond timestamps', () => {
    const options: HmacOptions = { ...base, timestampHeader: 'X-Ts', timestampUnit: 'milliseconds' };
    const ts = NOW_S * 1000;
    expect(verify(options, { 'X-Signature': mac('sha256', `${ts}.${body}`), 'X-Ts': String(ts) })).toMatchObject({ ok: true });
  });

  test('several signatures in one header, any may match', () => {
    const options: HmacOptions = { ...base, separator: ',', prefix: 'v1=' };
    expect(verify(options, { 'X-Signature': `v1=${'0'.repeat(64)}, v1=${mac('sha256', body)}` })).toMatchObject({ ok: true });
  });

  test('event ID, type and group key from headers or body fields', () => {
    const options: HmacOptions = { ...base, eventId: { header: 'X-Event-Id' }, eventType: { jsonPath: 'kind' }, groupKey: { jsonPath: 'shop' } };
    expect(verify(options, { 'X-Signature': mac('sha256', body), 'X-Event-Id': 'h-1' })).toMatchObject({ ok: true, event: { id: 'h-1', type: 'order.created', groupKey: 's1' } });
    expect(verify(options, { 'X-Signature': mac('sha256', body) })).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
  });

  test('the event ID is read from own JSON properties only', () => {
    const proto = '{"__proto__": {"id": "injected"}}';
    expect(verify(base, { 'X-Signature': mac('sha256', proto) }, proto)).toMatchObject({ ok: false, code: 'missing_event_id' });
  });

  test('required headers are the signature header, plus the timestamp header when one is signed', () => {
    expect(hmacScheme.requiredHeaders(base)).toEqual(['X-Signature']);
    expect(hmacScheme.requiredHeaders({ ...base, timestampHeader: 'X-Ts' })).toEqual(['X-Signature', 'X-Ts']);
  });

  test('an ID or type read from a header is unsigned: the event carries the digest of the signed content; body-only fields carry none', () => {
    const headers = { 'X-Signature': mac('sha256', body), 'X-Id': 'h-1', 'X-Type': 't' };
    const digest = createHash('sha256').update(body).digest('hex');
    expect(verify({ ...base, eventId: { header: 'X-Id' } }, headers)).toMatchObject({ ok: true, event: { id: 'h-1', signedContent: contentKeyed(digest) } });
    expect(verify({ ...base, eventType: { header: 'X-Type' } }, headers)).toMatchObject({ ok: true, event: { id: 'ev_1', signedContent: contentKeyed(digest) } });
    const bodyOnly = verify({ ...base, eventType: { jsonPath: 'kind' } }, headers);
    expect(bodyOnly.ok && bodyOnly.event.signedContent).toBe(undefined);
    // With a timestamp, the signed content is the whole layout: timestamp included
    const stamped: HmacOptions = { ...base, eventId: { header: 'X-Id' }, timestampHeader: 'X-Ts', signedContent: 'v1:{timestamp}:{body}' };
    const content = `v1:${NOW_S}:${body}`;
    expect(verify(stamped, { 'X-Signature': mac('sha256', content), 'X-Ts': String(NOW_S), 'X-Id': 'h-1' }))
      .toMatchObject({ ok: true, event: { signedContent: contentKeyed(createHash('sha256').update(content).digest('hex')) } });
  });

  test('layouts that leave the body or the windowed timestamp unsigned are refused, and fail closed if they reach the verifier', () => {
    const unsafe: [Partial<HmacOptions>, RegExp][] = [
      [{ timestampHeader: 'X-Ts', signedContent: '{body}' }, /must contain \{timestamp\} when timestampHeader is set/],
      [{ signedContent: '{timestamp}.{body}' }, /contains \{timestamp\} but no timestampHeader/],
      [{ signedContent: 'static' }, /\{body\} exactly once \(found 0\)/],
      [{ signedContent: '{body}{body}' }, /\{body\} exactly once \(found 2\)/],
    ];
    for (const [options, message] of unsafe) {
      const full = { ...base, ...options } as HmacOptions;
      expect(layoutProblem(full)).toMatch(message);
      expect(hmacScheme.checkOptions?.(full)).toMatch(message);
      expect(verify(full, { 'X-Signature': mac('sha256', body), 'X-Ts': String(NOW_S) })).toEqual({
        ok: false, status: 401, code: 'bad_signature', detail: `the endpoint's signed-content layout is unsafe: ${layoutProblem(full)}`,
      });
    }
    for (const options of [{}, { timestampHeader: 'X-Ts' }, { timestampHeader: 'X-Ts', signedContent: '{timestamp}{body}{timestamp}' }, { signedContent: 'prefix:{body}:suffix' }]) {
      expect(layoutProblem({ ...base, ...options } as HmacOptions)).toBeUndefined();
    }
  });

  const good = mac('sha256', body);
  test.each<[string, Partial<HmacOptions>, Record<string, string>, string, string]>([
    ['no signature header', {}, {}, 'missing_signature', 'missing X-Signature header'],
    ['no signature header, several expected', { separator: ',' }, {}, 'missing_signature', 'missing X-Signature header'],
    // Well-formed encoding of the wrong size is malformed, not a mismatch: only a digest of the algorithm's size is a candidate.
    ['a hex digest cut short by one byte', {}, { 'X-Signature': good.slice(0, -2) }, 'malformed_signature', 'X-Signature carries no well-formed signature'],
    ['a SHA-256 digest where SHA-512 is configured', { algorithm: 'sha512' }, { 'X-Signature': good }, 'malformed_signature', 'X-Signature carries no well-formed signature'],
    ['hex that does not decode', {}, { 'X-Signature': 'g'.repeat(64) }, 'malformed_signature', 'X-Signature carries no well-formed signature'],
    ['base64 that does not decode', { encoding: 'base64' }, { 'X-Signature': '!'.repeat(44) }, 'malformed_signature', 'X-Signature carries no well-formed signature'],
    // A part under another prefix (another scheme version) is skipped, never stripped of a prefix it does not have.
    ['a valid digest under another prefix', { prefix: 'v1=' }, { 'X-Signature': `v0=${good}` }, 'malformed_signature', 'X-Signature carries no well-formed signature'],
    ['a digest of other content', {}, { 'X-Signature': mac('sha256', body + 'x') }, 'bad_signature', 'signature does not match'],
    ['no timestamp header', { timestampHeader: 'X-Ts' }, { 'X-Signature': mac('sha256', `${NOW_S}.${body}`) }, 'malformed_timestamp', 'X-Ts is missing or not a whole number'],
    // Milliseconds (13 digits) sent where seconds are configured: refused as malformed (seconds allow 12 digits), not read as seconds.
    ['a millisecond timestamp where seconds are configured', { timestampHeader: 'X-Ts' },
      { 'X-Signature': mac('sha256', `${NOW_S * 1000}.${body}`), 'X-Ts': String(NOW_S * 1000) }, 'malformed_timestamp', 'X-Ts is missing or not a whole number'],
  ])('%s is a 401 whose detail names the problem', (_case, options, headers, code, detail) => {
    expect(verify({ ...base, ...options }, headers)).toEqual({ ok: false, status: 401, code, detail });
  });

  test('a verified request whose event ID is not where the options say is a 400 naming the options', () => {
    const options: HmacOptions = { ...base, eventId: { header: 'X-Event-Id' } };
    expect(verify(options, { 'X-Signature': good }))
      .toEqual({ ok: false, status: 400, code: 'missing_event_id', detail: 'no event ID found where the provider options say it is' });
  });

  test('a verified body that must be read as JSON but is not is a 400 malformed_body, not a missing event ID', () => {
    const form = 'id=ev_1&kind=order.created';
    expect(verify(base, { 'X-Signature': mac('sha256', form) }, form))
      .toEqual({ ok: false, status: 400, code: 'malformed_body', detail: 'body is not valid JSON' });
  });

  test('when every field comes from a header the body is never parsed: a non-JSON body is accepted, without a payload', () => {
    // Some providers post forms or plain text: with no jsonPath anywhere, the body is only signed bytes.
    const form = 'id=ev_1&kind=order.created';
    const headers = { 'X-Signature': mac('sha256', form), 'X-Id': 'h-1', 'X-Type': 't' };
    const signedContent = createHash('sha256').update(form).digest('hex');
    expect(verify({ ...base, eventId: { header: 'X-Id' } }, headers, form)).toEqual({ ok: true, event: { id: 'h-1', payload: undefined, signedContent: contentKeyed(signedContent) } });
    expect(verify({ ...base, eventId: { header: 'X-Id' }, eventType: { header: 'X-Type' } }, headers, form))
      .toEqual({ ok: true, event: { id: 'h-1', type: 't', payload: undefined, signedContent: contentKeyed(signedContent) } });
  });
});
