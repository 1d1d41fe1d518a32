import { createHmac } from 'node:crypto';
import { svixScheme } from '../../../../lambda/verifier/schemes/standard-webhooks';
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

  test('reads entries between single spaces only: leading, trailing and doubled spaces separate nothing, and a v1 must be whole', () => {
    const good = sdkHeaders(body)['webhook-signature'];
    for (const header of [` ${good}`, `${good} `, `v1,  ${good}`, `v1, ${good}`, `v2,x   ${good}   v1a,y`]) {
      expect(verify(body, { ...sdkHeaders(body), 'webhook-signature': header })).toMatchObject({ ok: true });
    }
    // A v1 entry is its whole text up to the next space: a digest split by a space, or glued to another, is no digest.
    const digest = good.slice(3);
    for (const header of [`v1,${digest.slice(0, 20)} ${digest.slice(20)}`, `${good}v1,${digest}`, `xv1,${digest}`]) {
      expect(verify(body, { ...sdkHeaders(body), 'webhook-signature': header })).toMatchObject({ ok: false, code: 'malformed_signature' });
    }
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

  test('requiredHeaders are the chosen family\'s id, timestamp and signature: the construct makes them required request parameters of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // missing one is refused at the gateway (400) and never invokes the verifier. With `either` no single family
    // can be required there, so the list is empty and the verifier alone refuses a request with neither.
    expect(standardWebhooksScheme.requiredHeaders({ headerPrefix: 'webhook' })).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(standardWebhooksScheme.requiredHeaders({ headerPrefix: 'svix' })).toEqual(['svix-id', 'svix-timestamp', 'svix-signature']);
  });

  const hand = handHeaders(body);
  const mac = hand['webhook-signature'].slice('v1,'.length);
  const raw = Buffer.from(mac, 'base64');
  const NO_V1 = 'webhook-signature carries no well-formed v1 signature';
  const without = (name: string): Headers => Object.fromEntries(Object.entries(hand).filter(([key]) => key !== name));
  test.each<[string, Headers, StandardWebhooksOptions, string, string]>([
    ['no webhook-signature header', without('webhook-signature'), {}, 'missing_signature', 'missing webhook-signature header'],
    ['no signature header of either family (headerPrefix either)', without('webhook-signature'), { headerPrefix: 'either' }, 'missing_signature', 'missing webhook-signature or svix-signature header'],
    ['no webhook-id header', without('webhook-id'), {}, 'missing_header', 'missing webhook-id header (it is part of the signed content)'],
    ['an empty webhook-id header', { ...hand, 'webhook-id': '' }, {}, 'missing_header', 'missing webhook-id header (it is part of the signed content)'],
    ['an empty signature header', { ...hand, 'webhook-signature': '' }, {}, 'malformed_signature', NO_V1],
    ['a digest without its version', { ...hand, 'webhook-signature': mac }, {}, 'malformed_signature', NO_V1],
    ['the right digest as v1a (the ed25519 version)', { ...hand, 'webhook-signature': `v1a,${mac}` }, {}, 'malformed_signature', NO_V1],
    ['the right digest as v2', { ...hand, 'webhook-signature': `v2,${mac}` }, {}, 'malformed_signature', NO_V1],
    ['the right digest as v1= instead of v1,', { ...hand, 'webhook-signature': `v1=${mac}` }, {}, 'malformed_signature', NO_V1],
    // Base64 of the right alphabet but the wrong size is malformed, not a mismatch: only 32 bytes is an HMAC-SHA256.
    ['a v1 one byte short', { ...hand, 'webhook-signature': `v1,${raw.subarray(0, 31).toString('base64')}` }, {}, 'malformed_signature', NO_V1],
    ['a v1 one byte long', { ...hand, 'webhook-signature': `v1,${Buffer.concat([raw, Buffer.alloc(1)]).toString('base64')}` }, {}, 'malformed_signature', NO_V1],
    ['a v1 without its base64 padding', { ...hand, 'webhook-signature': `v1,${mac.replace(/=+$/, '')}` }, {}, 'malformed_signature', NO_V1],
    ['no webhook-timestamp header', without('webhook-timestamp'), {}, 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    // 13 digits: a timestamp in milliseconds is refused outright, not read as seconds thousands of years ahead.
    ['a webhook-timestamp in milliseconds', { ...hand, 'webhook-timestamp': String(NOW_MS) }, {}, 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    ['a timestamp one second too old', handHeaders(body, SECRET, NOW_S - 301), {}, 'timestamp_out_of_window', 'signed timestamp is 301 s old; tolerance is 300 s'],
    ['a timestamp one second too far ahead', handHeaders(body, SECRET, NOW_S + 301), {}, 'timestamp_out_of_window', 'signed timestamp is 301 s in the future; tolerance is 300 s'],
    ['a v1 made with another secret', handHeaders(body, OTHER_SECRET), {}, 'bad_signature', 'no v1 signature matches'],
    // The id and the timestamp are signed: changing either (the timestamp within the window) breaks the signature.
    ['a webhook-id other than the signed one', { ...hand, 'webhook-id': 'msg_other' }, {}, 'bad_signature', 'no v1 signature matches'],
    ['a webhook-timestamp other than the signed one', { ...hand, 'webhook-timestamp': String(NOW_S + 1) }, {}, 'bad_signature', 'no v1 signature matches'],
  ])('%s is a 401 whose detail names the problem', (_case, headers, options, code, detail) => {
    expect(verify(body, headers, [SECRET], NOW_MS, options)).toEqual({ ok: false, status: 401, code, detail });
  });

  test.each([
    ['not base64', ['whsec_not base64!']],
    ['an empty whsec_', ['whsec_']],
    ['base64 of the wrong alphabet after whsec_', ['whsec_abc-def_']],
  ])('configured secrets that are all %s verify nothing: a 401 that says no secret is a whsec_ key', (_case, secrets) => {
    // Told apart from a plain mismatch: the sender cannot fix it, the endpoint's owner must.
    expect(verify(body, hand, secrets)).toEqual({ ok: false, status: 401, code: 'bad_signature', detail: 'no configured secret is a whsec_<base64> key' });
  });

  test('the window holds exactly at the tolerance in both directions', () => {
    expect(verify(body, handHeaders(body, SECRET, NOW_S - 300))).toMatchObject({ ok: true });
    expect(verify(body, handHeaders(body, SECRET, NOW_S + 300))).toMatchObject({ ok: true });
  });

  test('header names are matched in any case', () => {
    const upper = { 'Webhook-Id': MSG_ID, 'Webhook-Timestamp': String(NOW_S), 'WEBHOOK-SIGNATURE': hand['webhook-signature'] };
    expect(verify(body, upper)).toEqual({ ok: true, event: { id: MSG_ID, type: 'invoice.paid', payload: JSON.parse(body) } });
  });

  test('headerPrefix either: when svix-signature is present the svix-* family is used, even if a valid webhook-* set is sent too', () => {
    const svixWrong = { 'svix-id': MSG_ID, 'svix-timestamp': String(NOW_S), 'svix-signature': handHeaders(body, OTHER_SECRET)['webhook-signature'] };
    expect(verify(body, { ...hand, ...svixWrong }, [SECRET], NOW_MS, { headerPrefix: 'either' }))
      .toEqual({ ok: false, status: 401, code: 'bad_signature', detail: 'no v1 signature matches' });
    const { 'svix-id': _id, ...svixNoId } = svixWrong;
    expect(verify(body, { ...hand, ...svixNoId }, [SECRET], NOW_MS, { headerPrefix: 'either' }))
      .toEqual({ ok: false, status: 401, code: 'missing_header', detail: 'missing svix-id header (it is part of the signed content)' });
    // With headerPrefix webhook, svix-* headers are not even looked at.
    expect(verify(body, { ...hand, ...svixWrong }, [SECRET], NOW_MS, { headerPrefix: 'webhook' })).toMatchObject({ ok: true });
  });

  test('an explicit headerPrefix overrides the scheme\'s default family in both directions', () => {
    // The same function serves both schemes: svix with webhook-* headers mirrors standard-webhooks with svix-* ones.
    expect(svixScheme.verify(inbound({ body, headers: hand }), context([SECRET], NOW_MS), { headerPrefix: 'webhook' })).toMatchObject({ ok: true });
    expect(verify(body, hand, [SECRET], NOW_MS, { headerPrefix: 'svix' }))
      .toEqual({ ok: false, status: 401, code: 'missing_signature', detail: 'missing svix-signature header' });
  });

  test('an event without a type is accepted untyped, under its webhook-id', () => {
    const untyped = JSON.stringify({ data: { id: 'inv_1' } });
    expect(verify(untyped, handHeaders(untyped))).toEqual({ ok: true, event: { id: MSG_ID, payload: JSON.parse(untyped) } });
  });

  test.each<[string, string | Buffer, string]>([
    ['not JSON', 'not json', 'body is not valid JSON'],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'body is not valid UTF-8'],
  ])('a correctly signed body that is %s is a 400 whose detail says so', (_case, payload, detail) => {
    expect(verify(payload, handHeaders(payload))).toEqual({ ok: false, status: 400, code: 'malformed_body', detail });
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
