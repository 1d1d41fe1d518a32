import { createHash, createHmac } from 'node:crypto';
import { hmacScheme, layoutProblem, type HmacOptions } from '../../../../lambda/verifier/schemes/hmac';
import { context, inbound } from '../../../support/requests';

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
    expect(verify({ ...base, eventId: { header: 'X-Id' } }, headers)).toMatchObject({ ok: true, event: { id: 'h-1', signedContent: digest } });
    expect(verify({ ...base, eventType: { header: 'X-Type' } }, headers)).toMatchObject({ ok: true, event: { id: 'ev_1', signedContent: digest } });
    const bodyOnly = verify({ ...base, eventType: { jsonPath: 'kind' } }, headers);
    expect(bodyOnly.ok && bodyOnly.event.signedContent).toBe(undefined);
    // With a timestamp, the signed content is the whole layout: timestamp included
    const stamped: HmacOptions = { ...base, eventId: { header: 'X-Id' }, timestampHeader: 'X-Ts', signedContent: 'v1:{timestamp}:{body}' };
    const content = `v1:${NOW_S}:${body}`;
    expect(verify(stamped, { 'X-Signature': mac('sha256', content), 'X-Ts': String(NOW_S), 'X-Id': 'h-1' }))
      .toMatchObject({ ok: true, event: { signedContent: createHash('sha256').update(content).digest('hex') } });
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
      expect(verify(full, { 'X-Signature': mac('sha256', body), 'X-Ts': String(NOW_S) })).toMatchObject({ ok: false, status: 401 });
    }
    for (const options of [{}, { timestampHeader: 'X-Ts' }, { timestampHeader: 'X-Ts', signedContent: '{timestamp}{body}{timestamp}' }, { signedContent: 'prefix:{body}:suffix' }]) {
      expect(layoutProblem({ ...base, ...options } as HmacOptions)).toBeUndefined();
    }
  });
});
