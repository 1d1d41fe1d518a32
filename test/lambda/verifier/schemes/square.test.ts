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
  test('requiredHeaders is the signature header: the construct makes it a required request parameter of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // without a signature is refused at the gateway (400) and never invokes the verifier.
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

  const digest = nodeCrypto.createHmac('sha256', KEY).update(DEFAULT_URL + body).digest();
  test.each<[string, string | undefined, string, string]>([
    ['no x-square-hmacsha256-signature header', undefined, 'missing_signature', 'missing x-square-hmacsha256-signature header'],
    ['an empty header', '', 'malformed_signature', 'x-square-hmacsha256-signature is not the base64 of a SHA-256 digest'],
    // Valid base64 of the wrong size is malformed, not a mismatch: only a 32-byte digest is an HMAC-SHA256.
    ['the base64 of a digest cut short by one byte', digest.subarray(0, 31).toString('base64'), 'malformed_signature', 'x-square-hmacsha256-signature is not the base64 of a SHA-256 digest'],
    ['the base64 of a digest one byte too long', Buffer.concat([digest, Buffer.from([0])]).toString('base64'), 'malformed_signature', 'x-square-hmacsha256-signature is not the base64 of a SHA-256 digest'],
    ['a hex digest', digest.toString('hex'), 'malformed_signature', 'x-square-hmacsha256-signature is not the base64 of a SHA-256 digest'],
    ['a digest made with another key', sign(body, DEFAULT_URL, 'other_key'), 'bad_signature', 'signature does not match'],
    ['a digest of the body alone, without the URL', nodeCrypto.createHmac('sha256', KEY).update(body).digest('base64'), 'bad_signature', 'signature does not match'],
  ])('%s is a 401 whose detail names the problem', (_case, signature, code, detail) => {
    expect(verify(body, signature)).toEqual({ ok: false, status: 401, code, detail });
  });

  const signBytes = (payload: Buffer) => nodeCrypto.createHmac('sha256', KEY).update(DEFAULT_URL).update(payload).digest('base64');
  test.each<[string, string | Buffer, string, string]>([
    ['a body without event_id', JSON.stringify({ type: 'payment.updated', merchant_id: 'MLX1' }), 'missing_event_id', 'no event ID found in the body field "event_id"'],
    ['a body with an empty event_id', JSON.stringify({ event_id: '', type: 'payment.updated' }), 'missing_event_id', 'no event ID found in the body field "event_id"'],
    ['a body that is not JSON', 'event_id=1', 'malformed_body', 'body is not valid JSON'],
    ['a body that is not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'malformed_body', 'body is not valid UTF-8'],
  ])('%s is a 400 whose detail names the problem', (_case, payload, code, detail) => {
    expect(verify(payload, signBytes(Buffer.from(payload)))).toEqual({ ok: false, status: 400, code, detail });
  });

  test('an event without data.id is grouped by the merchant; with neither there is no group (nor a type without one)', () => {
    const merchant = JSON.stringify({ merchant_id: 'MLX1', type: 'oauth.authorization.revoked', event_id: 'e-2', data: { type: 'revocation' } });
    expect(verify(merchant, sign(merchant))).toMatchObject({ ok: true, event: { id: 'e-2', type: 'oauth.authorization.revoked', groupKey: 'MLX1' } });
    const bare = JSON.stringify({ event_id: 'e-3' });
    expect(verify(bare, sign(bare))).toEqual({ ok: true, event: { id: 'e-3', type: undefined, payload: { event_id: 'e-3' }, groupKey: undefined } });
  });

  test('an explicit notificationUrl wins over the public URL the request arrived at', () => {
    const registered = 'https://hooks.example.com/square';
    expect(verify(body, sign(body, registered), { notificationUrl: registered }, [KEY], 'https://public.example.com/in')).toMatchObject({ ok: true });
    expect(verify(body, sign(body, 'https://public.example.com/in'), { notificationUrl: registered }, [KEY], 'https://public.example.com/in'))
      .toEqual({ ok: false, status: 401, code: 'bad_signature', detail: 'signature does not match' });
  });

  test('the header name is matched case-insensitively', () => {
    const verdict = squareScheme.verify(inbound({ body, headers: { 'X-Square-HmacSha256-Signature': sign(body) }, domainName: DOMAIN }), context([KEY], NOW_MS), {});
    expect(verdict).toMatchObject({ ok: true, event: { id: '6a8f5f28-54a1-4eb0-a98a-3111513fd4fc' } });
  });
});
