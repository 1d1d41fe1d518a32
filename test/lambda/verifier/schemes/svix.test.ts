import { createHmac } from 'node:crypto';
import { Webhook } from 'svix';
import { svixScheme, type StandardWebhooksOptions } from '../../../../lambda/verifier/schemes/standard-webhooks';
import { context, inbound } from '../../../support/requests';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_SECRET = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;
const MSG_ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;
const body = JSON.stringify({ type: 'user.created', data: { id: 'user_1' } });

type Headers = Record<string, string>;

function sdkHeaders(payload: string, secret = SECRET, timestampS = NOW_S, id = MSG_ID): Headers {
  const signature = new Webhook(secret).sign(id, new Date(timestampS * 1000), payload);
  return { 'svix-id': id, 'svix-timestamp': String(timestampS), 'svix-signature': signature };
}

function handHeaders(payload: string, secret = SECRET, timestampS = NOW_S, id = MSG_ID): Headers {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampS}.${payload}`).digest('base64');
  return { 'svix-id': id, 'svix-timestamp': String(timestampS), 'svix-signature': `v1,${mac}` };
}

function rename(headers: Headers, from: string, to: string): Headers {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.replace(from, to), value]));
}

function verify(payload: string, headers: Headers, secrets = [SECRET], nowMs = NOW_MS, options: StandardWebhooksOptions = {}) {
  return svixScheme.verify(inbound({ body: payload, headers }), context(secrets, nowMs), options);
}

function withSdkClock<T>(nowMs: number, run: () => T): T {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(nowMs);
  try {
    return run();
  } finally {
    spy.mockRestore();
  }
}

describe('svix scheme', () => {
  test('accepts a request signed by the svix SDK, with svix-id as the event ID and the body type', () => {
    expect(svixScheme.id).toBe('svix');
    expect(verify(body, sdkHeaders(body))).toEqual({ ok: true, event: { id: MSG_ID, type: 'user.created', payload: JSON.parse(body) } });
  });

  test('reproduces the Standard Webhooks known-answer vector under svix-* headers (svix signs the same value)', () => {
    const payload = '{"test": 2432232314}';
    const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
    expect(new Webhook(SECRET).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(1614265330_000), payload)).toBe(signature);
    const kat = { 'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'svix-timestamp': '1614265330', 'svix-signature': signature };
    expect(verify(payload, kat, [SECRET], 1614265330_000)).toMatchObject({ ok: true, event: { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek' } });
  });

  test('what our tests sign by hand is accepted by the svix SDK', () => {
    const headers = handHeaders(body);
    expect(withSdkClock(NOW_MS, () => new Webhook(SECRET).verify(body, headers))).toEqual(JSON.parse(body));
  });

  test('rejects a tampered body, a wrong secret, a missing header and malformed signatures', () => {
    expect(verify(body.replace('user_1', 'user_2'), sdkHeaders(body))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, sdkHeaders(body, OTHER_SECRET))).toMatchObject({ ok: false, code: 'bad_signature' });
    const { 'svix-signature': _dropped, ...unsigned } = sdkHeaders(body);
    expect(verify(body, unsigned)).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
    expect(verify(body, { ...sdkHeaders(body), 'svix-signature': 'v1,%%%' })).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, { ...sdkHeaders(body), 'svix-timestamp': 'yesterday' })).toMatchObject({ ok: false, code: 'malformed_timestamp' });
  });

  test('rejects stale and future timestamps', () => {
    expect(verify(body, sdkHeaders(body, SECRET, NOW_S - 301))).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    expect(verify(body, sdkHeaders(body, SECRET, NOW_S + 301))).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    expect(verify(body, sdkHeaders(body, SECRET, NOW_S + 60), [SECRET], NOW_MS)).toMatchObject({ ok: true });
  });

  test('accepts any of several v1 entries and any of several active secrets', () => {
    const stale = `v1,${Buffer.alloc(32, 1).toString('base64')}`;
    const headers = { ...sdkHeaders(body), 'svix-signature': `${stale} ${sdkHeaders(body)['svix-signature']}` };
    expect(verify(body, headers)).toMatchObject({ ok: true });
    expect(verify(body, sdkHeaders(body, OTHER_SECRET), [SECRET, OTHER_SECRET])).toMatchObject({ ok: true });
  });

  test('reads svix-* by default, webhook-* with headerPrefix webhook, and both with either', () => {
    const unbranded = rename(sdkHeaders(body), 'svix-', 'webhook-');
    expect(verify(body, unbranded)).toMatchObject({ ok: false, code: 'missing_signature' });
    expect(verify(body, unbranded, [SECRET], NOW_MS, { headerPrefix: 'webhook' })).toMatchObject({ ok: true });
    expect(verify(body, unbranded, [SECRET], NOW_MS, { headerPrefix: 'either' })).toMatchObject({ ok: true });
    expect(verify(body, sdkHeaders(body), [SECRET], NOW_MS, { headerPrefix: 'either' })).toMatchObject({ ok: true });
    expect(svixScheme.requiredHeaders({})).toEqual(['svix-id', 'svix-timestamp', 'svix-signature']);
  });

  test('requiredHeaders follow the chosen family: the construct makes them required request parameters of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // missing one is refused at the gateway (400). With `either` no family can be required there: the list is empty.
    expect(svixScheme.requiredHeaders({ headerPrefix: 'svix' })).toEqual(['svix-id', 'svix-timestamp', 'svix-signature']);
    expect(svixScheme.requiredHeaders({ headerPrefix: 'webhook' })).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(svixScheme.requiredHeaders({ headerPrefix: 'either' })).toEqual([]);
  });

  const signedHeaders = handHeaders(body);
  const without = (name: string): Headers => Object.fromEntries(Object.entries(signedHeaders).filter(([key]) => key !== name));
  test.each<[string, Headers, StandardWebhooksOptions, string, string]>([
    ['no svix-signature header', without('svix-signature'), {}, 'missing_signature', 'missing svix-signature header'],
    ['no signature header of either family (headerPrefix either)', without('svix-signature'), { headerPrefix: 'either' }, 'missing_signature', 'missing webhook-signature or svix-signature header'],
    ['no svix-id header', without('svix-id'), {}, 'missing_header', 'missing svix-id header (it is part of the signed content)'],
    ['an empty svix-id header', { ...signedHeaders, 'svix-id': '' }, {}, 'missing_header', 'missing svix-id header (it is part of the signed content)'],
    ['a svix-signature with no v1', { ...signedHeaders, 'svix-signature': 'v1a,abc v2,abc' }, {}, 'malformed_signature', 'svix-signature carries no well-formed v1 signature'],
    ['no svix-timestamp header', without('svix-timestamp'), {}, 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    ['a timestamp one second too old', handHeaders(body, SECRET, NOW_S - 301), {}, 'timestamp_out_of_window', 'signed timestamp is 301 s old; tolerance is 300 s'],
    ['a v1 made with another secret', handHeaders(body, OTHER_SECRET), {}, 'bad_signature', 'no v1 signature matches'],
  ])('%s is a 401 whose detail names the problem', (_case, headers, options, code, detail) => {
    expect(verify(body, headers, [SECRET], NOW_MS, options)).toEqual({ ok: false, status: 401, code, detail });
  });

  test('the whsec_ prefix is optional on the secret, and a secret that is not base64 verifies nothing', () => {
    expect(verify(body, signedHeaders, [SECRET.slice('whsec_'.length)])).toMatchObject({ ok: true });
    expect(verify(body, signedHeaders, ['whsec_%%%']))
      .toEqual({ ok: false, status: 401, code: 'bad_signature', detail: 'no configured secret is a whsec_<base64> key' });
  });

  test('headerPrefix either picks svix-* when svix-signature is present, even beside a valid webhook-* set', () => {
    const webhook = rename(signedHeaders, 'svix-', 'webhook-');
    const wrongSvix = handHeaders(body, OTHER_SECRET);
    expect(verify(body, { ...webhook, ...wrongSvix }, [SECRET], NOW_MS, { headerPrefix: 'either' }))
      .toEqual({ ok: false, status: 401, code: 'bad_signature', detail: 'no v1 signature matches' });
    expect(verify(body, webhook, [SECRET], NOW_MS, { headerPrefix: 'either' }))
      .toEqual({ ok: true, event: { id: MSG_ID, type: 'user.created', payload: JSON.parse(body) } });
  });

  test('unlike the SDK, the three headers must come from one family (the SDK mixes them field by field)', () => {
    const { 'svix-id': id, ...rest } = sdkHeaders(body);
    const mixed = { ...rest, 'webhook-id': id };
    expect(withSdkClock(NOW_MS, () => new Webhook(SECRET).verify(body, mixed))).toEqual(JSON.parse(body));
    expect(verify(body, mixed, [SECRET], NOW_MS, { headerPrefix: 'either' })).toMatchObject({ ok: false, status: 401, code: 'missing_header' });
  });
});
