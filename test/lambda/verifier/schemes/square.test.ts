import * as nodeCrypto from 'node:crypto';
import { WebhooksHelper } from 'square';
import { squareScheme, type SquareOptions } from '../../../../lambda/verifier/schemes/square';
import { context, inbound } from '../../../support/requests';

const KEY = 'square_signature_key';
const NOW_MS = 1_700_000_000_000;
// What the verifier reconstructs for this request on the execute-api domain: host + stage + path.
const DOMAIN = 'abc123.execute-api.us-east-1.amazonaws.com';
const DEFAULT_URL = `https://${DOMAIN}/prod/webhook`;
const body = JSON.stringify({
  merchant_id: 'MLX1', type: 'payment.updated', event_id: '6a8f5f28-54a1-4eb0-a98a-3111513fd4fc', created_at: '2023-11-14T22:13:20Z',
  data: { type: 'payment', id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY', object: { payment: { amount_money: { amount: 100 } } } },
});

/** Signs by hand, as Square does: the SDK has a verifier but no signer. */
function sign(payload: string, url = DEFAULT_URL, key = KEY): string {
  return nodeCrypto.createHmac('sha256', key).update(url + payload).digest('base64');
}

function verify(payload: string | Buffer, signature: string | undefined, options: SquareOptions = {}, secrets = [KEY], publicUrl?: string) {
  const headers: Record<string, string> = signature === undefined ? {} : { 'x-square-hmacsha256-signature': signature };
  return squareScheme.verify(inbound({ body: payload, headers, domainName: DOMAIN }, publicUrl), context(secrets, NOW_MS), options);
}

describe('square scheme', () => {
  test('requires the signature header', () => {
    expect(squareScheme.requiredHeaders({})).toEqual(['x-square-hmacsha256-signature']);
  });

  test('reproduces the Square documentation vector, which the SDK also verifies', async () => {
    const url = 'https://example.com/webhook';
    const kat = '2kRE5qRU2tR+tBGlDwMEw2avJ7QM4ikPYD/PJ3bd9Og=';
    expect(sign('{"hello":"world"}', url, 'asdf1234')).toBe(kat);
    // The signature verifies (the vector's body has no event_id, so the verdict is the 400 that follows).
    expect(verify('{"hello":"world"}', kat, { notificationUrl: url }, ['asdf1234'])).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
    expect(verify('{"hello":"world"}', kat, {}, ['asdf1234'], url)).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
    expect(verify('{"hello":"world!"}', kat, { notificationUrl: url }, ['asdf1234'])).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    await expect(WebhooksHelper.verifySignature({ requestBody: '{"hello":"world"}', signatureHeader: kat, signatureKey: 'asdf1234', notificationUrl: url })).resolves.toBe(true);
  });

  test('accepts a request signed over the URL it arrived at; reads event_id, type and the object as group', async () => {
    expect(verify(body, sign(body))).toMatchObject({
      ok: true, event: { id: '6a8f5f28-54a1-4eb0-a98a-3111513fd4fc', type: 'payment.updated', groupKey: 'KkAkhdMsgzn59SM8A89WgKwekxLZY' },
    });
    await expect(WebhooksHelper.verifySignature({ requestBody: body, signatureHeader: sign(body), signatureKey: KEY, notificationUrl: DEFAULT_URL })).resolves.toBe(true);
  });

  test('an explicit notificationUrl must match the registered URL byte for byte, as in the SDK', async () => {
    const registered = 'https://hooks.example.com/square';
    expect(verify(body, sign(body, registered), { notificationUrl: registered })).toMatchObject({ ok: true });
    expect(verify(body, sign(body, registered))).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(body, sign(body, registered), { notificationUrl: `${registered}/` })).toMatchObject({ ok: false, code: 'bad_signature' });
    await expect(WebhooksHelper.verifySignature({ requestBody: body, signatureHeader: sign(body, registered), signatureKey: KEY, notificationUrl: `${registered}/` })).resolves.toBe(false);
  });

  test('rejects a tampered body, a wrong key and a missing header', () => {
    expect(verify(body.replace('payment.updated', 'payment.created'), sign(body))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, sign(body, DEFAULT_URL, 'other_key'))).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(body, undefined)).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
  });

  test('refuses malformed signatures', () => {
    const good = sign(body);
    for (const bad of ['', 'not base64!', good.slice(0, -4), nodeCrypto.createHmac('sha256', KEY).update(DEFAULT_URL + body).digest('hex'), `${good} ${good}`]) {
      expect(verify(body, bad)).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
  });

  test('accepts a request signed with any of several active keys', () => {
    expect(verify(body, sign(body, DEFAULT_URL, 'old_key'), {}, [KEY, 'old_key'])).toMatchObject({ ok: true });
  });

  test('compares digests in constant time (the SDK compares base64 strings with ===)', () => {
    // The module object itself (not the import namespace), which crypto.ts calls through.
    const spy = jest.spyOn(jest.requireActual<typeof nodeCrypto>('node:crypto'), 'timingSafeEqual');
    try {
      expect(verify(body, sign(body, DEFAULT_URL, 'other_key'), {}, [KEY, 'second_key'])).toMatchObject({ ok: false, code: 'bad_signature' });
      // One constant-time comparison per active key, with no early exit.
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  test('a correctly signed body that is not JSON or has no event_id is a 400', () => {
    expect(verify('not json', sign('not json'))).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
    const noId = JSON.stringify({ type: 'payment.updated' });
    expect(verify(noId, sign(noId))).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
  });
});
