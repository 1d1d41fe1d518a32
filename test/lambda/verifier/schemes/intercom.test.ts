import { execFileSync } from 'node:child_process';
import nodeCrypto = require('node:crypto');
import { intercomScheme } from '../../../../lambda/verifier/schemes/intercom';
import { context, inbound } from '../../../support/requests';

const SECRET = 'intercom_client_secret_0123456789abcdef';
const OLD_SECRET = 'intercom_client_secret_previous';
const NOW_MS = 1_700_000_000_000;
const body = JSON.stringify({
  type: 'notification_event',
  app_id: 'a86dr8yl',
  id: 'notif_78c122d0-23ba-11e4-9464-79b01267cc2e',
  topic: 'conversation.user.created',
  delivery_attempts: 1,
  first_sent_at: 1_700_000_000,
  data: { type: 'notification_event_data', item: { type: 'conversation', id: '147' } },
});

function signed(payload: string, secret = SECRET): string {
  return `sha1=${nodeCrypto.createHmac('sha1', secret).update(payload).digest('hex')}`;
}

function verify(payload: string | Buffer, header: string | undefined, secrets = [SECRET]) {
  return intercomScheme.verify(inbound({ body: payload, headers: header === undefined ? {} : { 'X-Hub-Signature': header } }), context(secrets, NOW_MS), {});
}

describe('intercom scheme', () => {
  test('accepts a signed notification and reads id, topic and the conversation as message group', () => {
    expect(verify(body, signed(body))).toMatchObject({
      ok: true,
      event: { id: 'notif_78c122d0-23ba-11e4-9464-79b01267cc2e', type: 'conversation.user.created', groupKey: '147' },
    });
  });

  test('the signature our tests compute matches an independent implementation (openssl)', () => {
    // Intercom ships no signer or verifier and publishes no known-answer vector.
    const openssl = execFileSync('openssl', ['dgst', '-sha1', '-hmac', SECRET], { input: body }).toString();
    expect(openssl.trim().split(' ').pop()).toBe(signed(body).slice('sha1='.length));
  });

  test('pins a self-generated vector (computed with openssl) so the signed content cannot drift', () => {
    expect(verify('{"id":"notif_1","topic":"ping"}', 'sha1=db01f67a993450f3f33aff8a1182468dcc61fa9f', ['test_secret'])).toMatchObject({
      ok: true,
      event: { id: 'notif_1', type: 'ping' },
    });
  });

  test('rejects a tampered body, a wrong secret and a missing header', () => {
    expect(verify(body.replace('147', '148'), signed(body))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, signed(body, 'someone_else'))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, undefined)).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
  });

  test('refuses malformed headers: no prefix, sha256=, short or non-hex digest', () => {
    const hex = signed(body).slice('sha1='.length);
    for (const header of [hex, `sha256=${hex}`, `sha1=${hex.slice(2)}`, `sha1=${'g'.repeat(40)}`, 'sha1=', '']) {
      expect(verify(body, header)).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
  });

  test('accepts a request signed with any of several active secrets', () => {
    expect(verify(body, signed(body, OLD_SECRET), [SECRET, OLD_SECRET])).toMatchObject({ ok: true });
  });

  test('compares every active secret in constant time without stopping at the first match', () => {
    const spy = jest.spyOn(nodeCrypto, 'timingSafeEqual');
    try {
      expect(verify(body, signed(body), [SECRET, OLD_SECRET, 'third'])).toMatchObject({ ok: true });
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  test('nothing is time-bound: a retry (new delivery_attempts) verifies and keeps the event ID the claim dedups on', () => {
    const retry = body.replace('"delivery_attempts":1', '"delivery_attempts":2');
    const first = verify(body, signed(body));
    const second = verify(retry, signed(retry));
    expect(second).toMatchObject({ ok: true });
    expect(first.ok && second.ok && first.event.id === second.event.id).toBe(true);
  });

  test('a correctly signed body without id, or not JSON, is a 400; app_id is the fallback group', () => {
    const noId = JSON.stringify({ topic: 'ping' });
    expect(verify(noId, signed(noId))).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
    expect(verify('id=1', signed('id=1'))).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
    const ping = JSON.stringify({ id: 'notif_ping', topic: 'ping', app_id: 'a86dr8yl', data: { item: { type: 'ping' } } });
    expect(verify(ping, signed(ping))).toMatchObject({ ok: true, event: { groupKey: 'a86dr8yl' } });
  });

  test('requiredHeaders is X-Hub-Signature: the construct makes it a required request parameter of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // without a signature is refused at the gateway (400) and never invokes the verifier. An empty list would drop that.
    expect(intercomScheme.requiredHeaders({})).toEqual(['X-Hub-Signature']);
  });

  const hex = signed(body).slice('sha1='.length);
  test.each<[string, string | undefined, string, string]>([
    ['no X-Hub-Signature header', undefined, 'missing_signature', 'missing X-Hub-Signature header'],
    ['a digest without the sha1= prefix', hex, 'malformed_signature', 'X-Hub-Signature is not sha1=<40 hex digits>'],
    // The prefix is matched exactly: five characters other than `sha1=` before 40 hex digits are not a signature.
    ['an upper-case SHA1= prefix', `SHA1=${hex}`, 'malformed_signature', 'X-Hub-Signature is not sha1=<40 hex digits>'],
    ['a sha256= prefix', `sha256=${hex}`, 'malformed_signature', 'X-Hub-Signature is not sha1=<40 hex digits>'],
    // Well-formed hex of the wrong size is malformed, not a mismatch: only a 20-byte digest is an HMAC-SHA1.
    ['a digest cut short by one byte', `sha1=${hex.slice(0, -2)}`, 'malformed_signature', 'X-Hub-Signature is not sha1=<40 hex digits>'],
    ['a digest one byte too long', `sha1=${hex}00`, 'malformed_signature', 'X-Hub-Signature is not sha1=<40 hex digits>'],
    ['an odd number of hex digits', `sha1=${hex}0`, 'malformed_signature', 'X-Hub-Signature is not sha1=<40 hex digits>'],
    ['an empty header', '', 'malformed_signature', 'X-Hub-Signature is not sha1=<40 hex digits>'],
    ['a digest made with another secret', signed(body, 'someone_else'), 'bad_signature', 'signature does not match'],
  ])('%s is a 401 whose detail names the problem', (_case, header, code, detail) => {
    expect(verify(body, header)).toEqual({ ok: false, status: 401, code, detail });
  });

  const signBytes = (payload: Buffer) => `sha1=${nodeCrypto.createHmac('sha1', SECRET).update(payload).digest('hex')}`;
  test.each<[string, string | Buffer, string, string]>([
    ['a body without id', JSON.stringify({ topic: 'ping', app_id: 'a86dr8yl' }), 'missing_event_id', 'no event ID found in the body field "id"'],
    ['a body with an empty id', JSON.stringify({ id: '', topic: 'ping' }), 'missing_event_id', 'no event ID found in the body field "id"'],
    ['a body that is not JSON', 'id=1', 'malformed_body', 'body is not valid JSON'],
    ['a body that is not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'malformed_body', 'body is not valid UTF-8'],
  ])('%s is a 400 whose detail names the problem', (_case, payload, code, detail) => {
    expect(verify(payload, signBytes(Buffer.from(payload)))).toEqual({ ok: false, status: 400, code, detail });
  });

  test('upper-case hex digits spell the same digest and verify', () => {
    expect(verify(body, `sha1=${hex.toUpperCase()}`)).toMatchObject({ ok: true, event: { id: 'notif_78c122d0-23ba-11e4-9464-79b01267cc2e' } });
  });

  test('the item wins over the workspace as message group; with neither there is no group', () => {
    expect(verify(body, signed(body))).toMatchObject({ ok: true, event: { groupKey: '147' } });
    const bare = JSON.stringify({ id: 'notif_2', topic: 'ping' });
    expect(verify(bare, signed(bare))).toEqual({ ok: true, event: { id: 'notif_2', type: 'ping', payload: { id: 'notif_2', topic: 'ping' }, groupKey: undefined } });
  });

  test('the header name is matched case-insensitively', () => {
    const verdict = intercomScheme.verify(inbound({ body, headers: { 'x-hub-signature': signed(body) } }), context([SECRET], NOW_MS), {});
    expect(verdict).toMatchObject({ ok: true, event: { type: 'conversation.user.created' } });
  });
});
