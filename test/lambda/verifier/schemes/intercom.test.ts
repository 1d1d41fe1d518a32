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
});
