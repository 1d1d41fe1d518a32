import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { standardWebhooksScheme, type StandardWebhooksOptions } from '../../../../lambda/verifier/schemes/standard-webhooks';
import { context, inbound } from '../../../support/requests';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const MSG_ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;
const body = JSON.stringify({ type: 'invoice.paid', timestamp: '2023-11-14T22:13:20Z', data: { id: 'inv_1' } });

type Headers = Record<string, string>;

function sdkHeaders(payload: string | Buffer, secret = SECRET, timestampS = NOW_S, id = MSG_ID): Headers {
  const signature = new Webhook(secret).sign(id, new Date(timestampS * 1000), payload as string);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampS), 'webhook-signature': signature };
}

/** Signed by hand from the spec, independently of the library. */
function handHeaders(payload: string | Buffer, secret = SECRET, timestampS = NOW_S, id = MSG_ID): Headers {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampS}.`).update(payload).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampS), 'webhook-signature': `v1,${mac}` };
}

function verify(payload: string | Buffer, headers: Headers, secrets = [SECRET], nowMs = NOW_MS, options: StandardWebhooksOptions = {}) {
  return standardWebhooksScheme.verify(inbound({ body: payload, headers }), context(secrets, nowMs), options);
}

function withSdkClock<T>(nowMs: number, run: () => T): T {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(nowMs);
  try {
    return run();
  } finally {
    spy.mockRestore();
  }
}

describe('standard-webhooks scheme', () => {
  test('GIVEN a request signed by the standardwebhooks SDK THEN it is accepted with the webhook-id as event ID', () => {
    expect(verify(body, sdkHeaders(body))).toEqual({ ok: true, event: { id: MSG_ID, type: 'invoice.paid', payload: JSON.parse(body) } });
  });

  test('reproduces the Standard Webhooks known-answer vector', () => {
    const kat = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const payload = '{"test": 2432232314}';
    expect(handHeaders(payload, SECRET, 1614265330, kat['webhook-id'])['webhook-signature']).toBe(kat['webhook-signature']);
    expect(new Webhook(SECRET).sign(kat['webhook-id'], new Date(1614265330_000), payload)).toBe(kat['webhook-signature']);
    expect(verify(payload, kat, [SECRET], 1614265330_000)).toMatchObject({ ok: true, event: { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek' } });
  });

  test('what our tests sign by hand is what the SDK signs, and the SDK verifies it', () => {
    const headers = handHeaders(body);
    expect(headers).toEqual(sdkHeaders(body));
    expect(withSdkClock(NOW_MS, () => new Webhook(SECRET).verify(body, headers))).toEqual(JSON.parse(body));
  });

  test('rejects a tampered body, a wrong secret, and a missing or malformed signature header', () => {
    const headers = sdkHeaders(body);
    expect(verify(body.replace('inv_1', 'inv_2'), headers)).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, sdkHeaders(body, OTHER_SECRET))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    const { 'webhook-signature': _dropped, ...unsigned } = headers;
    expect(verify(body, unsigned)).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
    for (const malformed of ['g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', 'v1,', 'v1,not base64!', 'v1,AAAA', 'v1=abc', '']) {
      expect(verify(body, { ...headers, 'webhook-signature': malformed })).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
  });

  test('rejects a missing webhook-id (it is signed) and a missing or non-numeric timestamp', () => {
    const { 'webhook-id': _id, ...noId } = sdkHeaders(body);
    expect(verify(body, noId)).toMatchObject({ ok: false, status: 401, code: 'missing_header' });
    const { 'webhook-timestamp': _ts, ...noTimestamp } = sdkHeaders(body);
    expect(verify(body, noTimestamp)).toMatchObject({ ok: false, status: 401, code: 'malformed_timestamp' });
    for (const timestamp of ['', '-1', '1.7e9', ' 1700000000', '0x6553f100']) {
      expect(verify(body, { ...sdkHeaders(body), 'webhook-timestamp': timestamp })).toMatchObject({ ok: false, code: 'malformed_timestamp' });
    }
  });

  test('rejects stale and future timestamps in both directions, like the SDK', () => {
    expect(verify(body, sdkHeaders(body, SECRET, NOW_S - 301))).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
    expect(verify(body, sdkHeaders(body, SECRET, NOW_S + 301))).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
    expect(verify(body, sdkHeaders(body, SECRET, NOW_S - 299))).toMatchObject({ ok: true });
    expect(verify(body, sdkHeaders(body, SECRET, NOW_S + 299))).toMatchObject({ ok: true });
    expect(() => withSdkClock(NOW_MS, () => new Webhook(SECRET).verify(body, sdkHeaders(body, SECRET, NOW_S + 301)))).toThrow(/too new/);
  });

  test('tries every v1 entry, skips v1a and unknown versions, and accepts any active secret', () => {
    const good = sdkHeaders(body)['webhook-signature'];
    const bad = `v1,${Buffer.alloc(32).toString('base64')}`;
    const noise = `v1a,${Buffer.alloc(64).toString('base64')} v2,abc ${bad}`;
    expect(verify(body, { ...sdkHeaders(body), 'webhook-signature': `${noise} ${good}` })).toMatchObject({ ok: true });
    expect(verify(body, { ...sdkHeaders(body), 'webhook-signature': `${good}  ${bad}` })).toMatchObject({ ok: true });
    expect(verify(body, { ...sdkHeaders(body), 'webhook-signature': `v1a,${good.slice(3)}` })).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, sdkHeaders(body, OTHER_SECRET), [SECRET, OTHER_SECRET])).toMatchObject({ ok: true });
    expect(verify(body, sdkHeaders(body, OTHER_SECRET), [OTHER_SECRET, SECRET])).toMatchObject({ ok: true });
  });

  test('decodes the secret with or without the whsec_ prefix and skips secrets that are not base64', () => {
    expect(verify(body, sdkHeaders(body), [SECRET.slice('whsec_'.length)])).toMatchObject({ ok: true });
    expect(verify(body, sdkHeaders(body), ['whsec_not base64!', SECRET])).toMatchObject({ ok: true });
    expect(verify(body, sdkHeaders(body), ['whsec_not base64!'])).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
  });

  test('reads only webhook-* headers by default; svix-* only with headerPrefix svix or either', () => {
    const svixHeaders = Object.fromEntries(Object.entries(sdkHeaders(body)).map(([name, value]) => [name.replace('webhook-', 'svix-'), value]));
    expect(verify(body, svixHeaders)).toMatchObject({ ok: false, code: 'missing_signature' });
    expect(verify(body, svixHeaders, [SECRET], NOW_MS, { headerPrefix: 'svix' })).toMatchObject({ ok: true });
    expect(verify(body, svixHeaders, [SECRET], NOW_MS, { headerPrefix: 'either' })).toMatchObject({ ok: true });
    expect(verify(body, sdkHeaders(body), [SECRET], NOW_MS, { headerPrefix: 'either' })).toMatchObject({ ok: true });
    expect(standardWebhooksScheme.requiredHeaders({})).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(standardWebhooksScheme.requiredHeaders({ headerPrefix: 'either' })).toEqual([]);
  });

  test('a correctly signed body that is not JSON is a 400', () => {
    expect(verify('not json', handHeaders('not json'))).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
  });

  test('stricter than the SDK: a timestamp header with trailing junk is refused (the SDK parseInt()s it)', () => {
    const headers = { ...sdkHeaders(body), 'webhook-timestamp': `${NOW_S}junk` };
    expect(withSdkClock(NOW_MS, () => new Webhook(SECRET).verify(body, headers))).toEqual(JSON.parse(body));
    expect(verify(body, headers)).toMatchObject({ ok: false, code: 'malformed_timestamp' });
  });

  test('stricter than the SDK: the exact bytes are signed, so two non-UTF-8 bodies never share a signature', () => {
    const sent = Buffer.from([0x7b, 0xff, 0x7d]);
    const forged = Buffer.from([0x7b, 0xfe, 0x7d]);
    // The SDK decodes a Buffer to text first: both invalid bytes become U+FFFD, so it accepts the forgery.
    const sdkSigned = sdkHeaders(sent);
    expect(withSdkClock(NOW_MS, () => new Webhook(SECRET).verify(forged, sdkSigned, { jsonParse: false }))).toBeUndefined();
    const spec = handHeaders(sent);
    expect(verify(forged, spec)).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(sent, spec)).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
  });
});
