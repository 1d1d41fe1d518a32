import nodeCrypto = require('node:crypto');
import { Paddle } from '@paddle/paddle-node-sdk';
import { paddleScheme } from '../../../../lambda/verifier/schemes/paddle';
import { context, inbound } from '../../../support/requests';

const SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI';
const OLD_SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_previousSecretValue0000000';
const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;
const body = JSON.stringify({
  event_id: 'evt_01hv8wt8nffez4p2t6typn4a5j',
  event_type: 'subscription.updated',
  occurred_at: '2023-11-14T22:13:20.000Z',
  notification_id: 'ntf_01hv8wt8q3ndhkkgb5v7wxz2k5',
  data: { id: 'sub_01hv8x29kz0t586xy6zn1a62ny', customer_id: 'ctm_01hv8wt8nffez4p2t6typn4a5j', status: 'active' },
});

const paddle = new Paddle('pdl_sdbx_apikey_not_used_offline');

function h1(payload: string, secret = SECRET, timestampS = NOW_S): string {
  return nodeCrypto.createHmac('sha256', secret).update(`${timestampS}:${payload}`).digest('hex');
}

function signed(payload: string, secret = SECRET, timestampS = NOW_S): string {
  return `ts=${timestampS};h1=${h1(payload, secret, timestampS)}`;
}

function verify(payload: string, header: string | undefined, secrets = [SECRET], nowMs = NOW_MS) {
  return paddleScheme.verify(inbound({ body: payload, headers: header === undefined ? {} : { 'Paddle-Signature': header } }), context(secrets, nowMs), {});
}

/** The SDK reads the real clock and allows 5 s, so SDK checks use a timestamp taken now. */
function realNowS(): number {
  return Math.floor(Date.now() / 1000);
}

describe('paddle scheme', () => {
  test('accepts a signed event and reads event_id, event_type and the customer as message group', () => {
    expect(verify(body, signed(body))).toMatchObject({
      ok: true,
      event: { id: 'evt_01hv8wt8nffez4p2t6typn4a5j', type: 'subscription.updated', groupKey: 'ctm_01hv8wt8nffez4p2t6typn4a5j' },
    });
  });

  test('what our tests sign by hand is accepted by the Paddle SDK, and so by us', async () => {
    const now = realNowS();
    const header = signed(body, SECRET, now);
    await expect(paddle.webhooks.isSignatureValid(body, SECRET, header)).resolves.toBe(true);
    expect(verify(body, header, [SECRET], now * 1000)).toMatchObject({ ok: true });
  });

  test('rejects a tampered body, a wrong secret and a missing header', () => {
    expect(verify(body.replace('active', 'paused'), signed(body))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, signed(body, OLD_SECRET))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, undefined)).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
  });

  test('refuses malformed headers: no ts, two ts, no h1, short or non-hex h1, element without a key', () => {
    const digest = h1(body);
    expect(verify(body, `h1=${digest}`)).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, `ts=${NOW_S};ts=${NOW_S};h1=${digest}`)).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, `ts=${NOW_S}`)).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, `ts=${NOW_S};h1=${digest.slice(2)}`)).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, `ts=${NOW_S};h1=${'z'.repeat(64)}`)).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, `ts=${NOW_S};${digest}`)).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, `ts=soon;h1=${digest}`)).toMatchObject({ ok: false, status: 401, code: 'malformed_timestamp' });
  });

  test('rejects stale timestamps, and future ones too, which the SDK accepts', async () => {
    expect(verify(body, signed(body, SECRET, NOW_S - 301))).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    expect(verify(body, signed(body, SECRET, NOW_S + 301))).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    expect(verify(body, signed(body, SECRET, NOW_S + 299))).toMatchObject({ ok: true });

    const future = signed(body, SECRET, realNowS() + 3600);
    await expect(paddle.webhooks.isSignatureValid(body, SECRET, future)).resolves.toBe(true);
    expect(verify(body, future, [SECRET], Date.now())).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
  });

  test('accepts any h1 in any order (h1=new;h1=old), where the SDK keeps only the last one', async () => {
    const now = realNowS();
    const current = h1(body, SECRET, now);
    const previous = h1(body, OLD_SECRET, now);
    const header = `ts=${now};h1=${current};h1=${previous}`;
    await expect(paddle.webhooks.isSignatureValid(body, SECRET, header)).resolves.toBe(false);
    await expect(paddle.webhooks.isSignatureValid(body, SECRET, `ts=${now};h1=${previous};h1=${current}`)).resolves.toBe(true);
    expect(verify(body, header, [SECRET], now * 1000)).toMatchObject({ ok: true });
    expect(verify(body, `ts=${now};h1=${previous};h1=${current}`, [SECRET], now * 1000)).toMatchObject({ ok: true });
  });

  test('accepts a request signed with any of several active secrets', () => {
    expect(verify(body, signed(body, OLD_SECRET), [SECRET, OLD_SECRET])).toMatchObject({ ok: true });
    expect(verify(body, signed(body, SECRET), [OLD_SECRET, SECRET])).toMatchObject({ ok: true });
  });

  test('compares every secret with every h1 in constant time, without stopping at a match (the SDK uses ===)', () => {
    const spy = jest.spyOn(nodeCrypto, 'timingSafeEqual');
    try {
      const header = `ts=${NOW_S};h1=${h1(body)};h1=${'0'.repeat(64)};h1=${'1'.repeat(64)}`;
      expect(verify(body, header, [SECRET, OLD_SECRET])).toMatchObject({ ok: true });
      expect(spy).toHaveBeenCalledTimes(2 * 3);
    } finally {
      spy.mockRestore();
    }
  });

  test('a correctly signed body without event_id, or that is not JSON, is a 400', () => {
    const noId = JSON.stringify({ event_type: 'transaction.paid' });
    expect(verify(noId, signed(noId))).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
    expect(verify('<xml/>', signed('<xml/>'))).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
  });

  test('a customer.* event groups by its own id', () => {
    const customer = JSON.stringify({ event_id: 'evt_2', event_type: 'customer.updated', data: { id: 'ctm_7' } });
    expect(verify(customer, signed(customer))).toMatchObject({ ok: true, event: { groupKey: 'ctm_7' } });
  });

  test('requiredHeaders is Paddle-Signature: the construct makes it a required request parameter of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // without a signature is refused at the gateway (400) and never invokes the verifier.
    expect(paddleScheme.requiredHeaders({})).toEqual(['Paddle-Signature']);
  });

  const digest = h1(body);
  test.each<[string, string | undefined, string, string]>([
    ['no Paddle-Signature header', undefined, 'missing_signature', 'missing Paddle-Signature header'],
    ['an empty header', '', 'malformed_signature', 'Paddle-Signature has an element without a key'],
    ['a bare digest without h1=', `ts=${NOW_S};${digest}`, 'malformed_signature', 'Paddle-Signature has an element without a key'],
    ['an element with an empty key', `ts=${NOW_S};=${digest}`, 'malformed_signature', 'Paddle-Signature has an element without a key'],
    ['no ts', `h1=${digest}`, 'malformed_signature', 'Paddle-Signature must carry exactly one ts='],
    ['two ts, even equal ones', `ts=${NOW_S};ts=${NOW_S};h1=${digest}`, 'malformed_signature', 'Paddle-Signature must carry exactly one ts='],
    ['no h1', `ts=${NOW_S}`, 'malformed_signature', 'Paddle-Signature carries no well-formed h1 signature'],
    // Hex of the right alphabet but the wrong size is malformed, not a mismatch: only 32 bytes is an HMAC-SHA256.
    ['an h1 one byte short', `ts=${NOW_S};h1=${digest.slice(0, -2)}`, 'malformed_signature', 'Paddle-Signature carries no well-formed h1 signature'],
    ['an h1 one byte long', `ts=${NOW_S};h1=${digest}00`, 'malformed_signature', 'Paddle-Signature carries no well-formed h1 signature'],
    ['an h1 that is not hex', `ts=${NOW_S};h1=${'z'.repeat(64)}`, 'malformed_signature', 'Paddle-Signature carries no well-formed h1 signature'],
    ['an upper-case H1 key', `ts=${NOW_S};H1=${digest}`, 'malformed_signature', 'Paddle-Signature carries no well-formed h1 signature'],
    ['a comma instead of a semicolon between elements', `ts=${NOW_S},h1=${digest}`, 'malformed_signature', 'Paddle-Signature carries no well-formed h1 signature'],
    ['a ts that is not a number', `ts=soon;h1=${digest}`, 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    ['an empty ts', `ts=;h1=${digest}`, 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    // 13 digits: a timestamp in milliseconds is not read as seconds thousands of years ahead, it is refused outright.
    ['a ts in milliseconds', `ts=${NOW_MS};h1=${digest}`, 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    ['a ts one second too old', signed(body, SECRET, NOW_S - 301), 'timestamp_out_of_window', 'signed timestamp is 301 s old; tolerance is 300 s'],
    ['a ts one second too far ahead', signed(body, SECRET, NOW_S + 301), 'timestamp_out_of_window', 'signed timestamp is 301 s in the future; tolerance is 300 s'],
    ['an h1 made with another secret', signed(body, OLD_SECRET), 'bad_signature', 'no h1 signature matches'],
    // The ts is signed: moving it (here to a value still in the window) breaks the signature.
    ['a ts other than the signed one', `ts=${NOW_S + 1};h1=${digest}`, 'bad_signature', 'no h1 signature matches'],
  ])('%s is a 401 whose detail names the problem', (_case, header, code, detail) => {
    expect(verify(body, header)).toEqual({ ok: false, status: 401, code, detail });
  });

  test('the window holds exactly at the tolerance in both directions', () => {
    expect(verify(body, signed(body, SECRET, NOW_S - 300))).toMatchObject({ ok: true });
    expect(verify(body, signed(body, SECRET, NOW_S + 300))).toMatchObject({ ok: true });
  });

  test('blanks around elements, a malformed h1 beside a good one, and a lower-case header name are all accepted', () => {
    expect(verify(body, ` ts = ${NOW_S} ; h1 = ${digest} `)).toMatchObject({ ok: true });
    expect(verify(body, `ts=${NOW_S};h1=${digest.slice(0, -2)};h1=zz;h1=${digest}`)).toMatchObject({ ok: true });
    const lower = paddleScheme.verify(inbound({ body, headers: { 'paddle-signature': signed(body) } }), context([SECRET], NOW_MS), {});
    expect(lower).toMatchObject({ ok: true });
  });

  test.each<[string, string | Buffer, number, string, string]>([
    ['not JSON', '<xml/>', 400, 'malformed_body', 'body is not valid JSON'],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 400, 'malformed_body', 'body is not valid UTF-8'],
    ['JSON without event_id', JSON.stringify({ event_type: 'transaction.paid' }), 400, 'missing_event_id', 'no event ID found in the body field "event_id"'],
    // notification_id is per destination, not per event: it must not stand in for event_id.
    ['JSON with only notification_id', JSON.stringify({ notification_id: 'ntf_1' }), 400, 'missing_event_id', 'no event ID found in the body field "event_id"'],
  ])('a correctly signed body that is %s is refused with a detail that says so', (_case, payload, status, code, detail) => {
    const header = `ts=${NOW_S};h1=${nodeCrypto.createHmac('sha256', SECRET).update(`${NOW_S}:`).update(payload).digest('hex')}`;
    expect(paddleScheme.verify(inbound({ body: payload, headers: { 'Paddle-Signature': header } }), context([SECRET], NOW_MS), {}))
      .toEqual({ ok: false, status, code, detail });
  });

  test('the whole accepted event: event_id, event_type, the parsed payload and the customer as group', () => {
    expect(verify(body, signed(body))).toEqual({
      ok: true,
      event: { id: 'evt_01hv8wt8nffez4p2t6typn4a5j', type: 'subscription.updated', payload: JSON.parse(body), groupKey: 'ctm_01hv8wt8nffez4p2t6typn4a5j' },
    });
  });

  test.each<[string, Record<string, unknown> | undefined, string | undefined]>([
    ['a customer_id and an id: the customer', { id: 'txn_1', customer_id: 'ctm_1' }, 'ctm_1'],
    ['only an id (customer.* events): the id', { id: 'ctm_7' }, 'ctm_7'],
    ['neither: no group', { status: 'active' }, undefined],
    ['no data at all: no group', undefined, undefined],
  ])('the message group of an event whose data has %s', (_case, data, groupKey) => {
    const payload = JSON.stringify({ event_id: 'evt_3', event_type: 'transaction.paid', data });
    const verdict = verify(payload, signed(payload));
    expect(verdict).toMatchObject({ ok: true, event: { id: 'evt_3', type: 'transaction.paid' } });
    expect(verdict.ok && verdict.event.groupKey).toBe(groupKey);
  });

  test('an event without event_type is accepted untyped', () => {
    const untyped = JSON.stringify({ event_id: 'evt_4' });
    expect(verify(untyped, signed(untyped))).toEqual({ ok: true, event: { id: 'evt_4', payload: { event_id: 'evt_4' } } });
  });
});
