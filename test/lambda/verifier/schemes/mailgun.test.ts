import { createHash, createHmac } from 'node:crypto';
import { mailgunScheme } from '../../../../lambda/verifier/schemes/mailgun';
import { context, inbound, contentKeyed } from '../../../support/requests';

// Known-answer vector from mailgun/mailgun-php tests/Api/WebhookTest.php.
const KAT = {
  key: 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0',
  timestamp: '1403645220',
  token: '5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6',
  signature: '9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33',
};
const KEY = 'mailgun-signing-key';
const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;
const EVENT_DATA = { id: 'CPgfbmQMTCKtHW6uIWtuVe', event: 'delivered', message: { headers: { 'message-id': '20240101.abc@mg.example.com' } } };

interface Signed { timestamp: string | number; token: string; signature: string }

function sign(timestamp: string, token: string, key = KEY): Signed {
  return { timestamp, token, signature: createHmac('sha256', key).update(timestamp + token).digest('hex') };
}

function body(signature: unknown, eventData: unknown = EVENT_DATA): string {
  return JSON.stringify({ signature, 'event-data': eventData });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function verify(payload: string | Buffer, keys = [KEY], nowMs = NOW_MS) {
  return mailgunScheme.verify(inbound({ body: payload, headers: { 'Content-Type': 'application/json' } }), context(keys, nowMs), {});
}

describe('mailgun scheme', () => {
  test('reproduces the mailgun-php known-answer vector', () => {
    // GIVEN the published key, timestamp and token WHEN signed by hand THEN the published digest comes out
    expect(sign(KAT.timestamp, KAT.token, KAT.key).signature).toBe(KAT.signature);
    // AND the scheme accepts it at that time
    const verdict = verify(body({ timestamp: KAT.timestamp, token: KAT.token, signature: KAT.signature }), [KAT.key], Number(KAT.timestamp) * 1000);
    expect(verdict).toMatchObject({ ok: true, event: { signedContent: contentKeyed(sha256(KAT.timestamp + KAT.token)) } });
  });

  test('accepts a signed event and reads id, type, message group; it is claimed under the digest of timestamp + token', () => {
    const verdict = verify(body(sign(String(NOW_S), 'tok-1')));
    expect(verdict).toEqual({
      ok: true,
      event: {
        id: 'CPgfbmQMTCKtHW6uIWtuVe',
        type: 'delivered',
        groupKey: '20240101.abc@mg.example.com',
        signedContent: contentKeyed(sha256(`${NOW_S}tok-1`)),
        payload: JSON.parse(body(sign(String(NOW_S), 'tok-1'))),
      },
    });
  });

  test('rejects a tampered token or timestamp, and a wrong key', () => {
    const good = sign(String(NOW_S), 'tok-1');
    expect(verify(body({ ...good, token: 'tok-2' }))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body({ ...good, timestamp: String(NOW_S + 1) }))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body(sign(String(NOW_S), 'tok-1', 'other-key')))).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('LIMITATION: the body outside "signature" is not signed, so a swapped event is accepted', () => {
    // GIVEN a genuine signature block WHEN an attacker pairs it with an event of their own
    const forged = body(sign(String(NOW_S), 'tok-1'), { id: 'attacker-chosen', event: 'complained' });
    // THEN it verifies, under the genuine request's signed content: the window and the claim on that
    // content (test/scenarios/replay-proof.test.ts) are what keep it from becoming a second event
    expect(verify(forged)).toMatchObject({ ok: true, event: { id: 'attacker-chosen', signedContent: contentKeyed(sha256(`${NOW_S}tok-1`)) } });
  });

  test('rejects stale and future timestamps, and accepts the window edges', () => {
    expect(verify(body(sign(String(NOW_S - 301), 't')))).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
    expect(verify(body(sign(String(NOW_S + 301), 't')))).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
    expect(verify(body(sign(String(NOW_S - 300), 't')))).toMatchObject({ ok: true });
    expect(verify(body(sign(String(NOW_S + 300), 't')))).toMatchObject({ ok: true });
  });

  test('accepts a request signed with any of several active keys', () => {
    expect(verify(body(sign(String(NOW_S), 't', 'old-key')), [KEY, 'old-key'])).toMatchObject({ ok: true });
  });

  test('accepts a numeric timestamp, as its decimal digits are what was signed', () => {
    const signed = sign(String(NOW_S), 't');
    expect(verify(body({ ...signed, timestamp: NOW_S }))).toMatchObject({ ok: true });
  });

  test('refuses a body without a signature: not JSON, form-encoded, no or non-object "signature"', () => {
    const missing = { ok: false, status: 401, code: 'missing_signature' };
    expect(verify('not json')).toMatchObject(missing);
    expect(verify(`timestamp=${NOW_S}&token=t&signature=${sign(String(NOW_S), 't').signature}`)).toMatchObject(missing);
    expect(verify(JSON.stringify({ 'event-data': EVENT_DATA }))).toMatchObject(missing);
    expect(verify(body('abc'))).toMatchObject(missing);
    expect(verify(body(null))).toMatchObject(missing);
    const { signature: _unused, ...noDigest } = sign(String(NOW_S), 't');
    expect(verify(body(noDigest))).toMatchObject(missing);
  });

  test('refuses malformed fields: short or non-hex digest, no or huge token, bad timestamp', () => {
    const good = sign(String(NOW_S), 't');
    expect(verify(body({ ...good, signature: 'abc' }))).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body({ ...good, signature: 'z'.repeat(64) }))).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body({ ...good, token: '' }))).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body(sign(String(NOW_S), 'x'.repeat(257))))).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body({ ...good, timestamp: undefined }))).toMatchObject({ ok: false, status: 401, code: 'malformed_timestamp' });
    expect(verify(body(sign(`${NOW_S}.5`, 't')))).toMatchObject({ ok: false, code: 'malformed_timestamp' });
    expect(verify(body(sign(`-${NOW_S}`, 't')))).toMatchObject({ ok: false, code: 'malformed_timestamp' });
  });

  test('a correctly signed body without event-data.id is a 400', () => {
    expect(verify(body(sign(String(NOW_S), 't'), { event: 'delivered' }))).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
    expect(verify(JSON.stringify({ signature: sign(String(NOW_S), 't') }))).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
  });

  test('never reads prototype properties of an attacker body', () => {
    const payload = `{"signature":{"__proto__":${JSON.stringify(sign(String(NOW_S), 't'))}},"event-data":{"id":"x"}}`;
    expect(verify(payload)).toMatchObject({ ok: false, code: 'missing_signature' });
  });

  test('requires no header: the signature is in the body, so the construct makes no header a required request parameter of the API Gateway method', () => {
    // lib/endpoint.ts turns each required header into `method.request.header.<name>`; any header named here
    // would make API Gateway refuse every genuine Mailgun delivery (400) before the verifier runs.
    expect(mailgunScheme.requiredHeaders({})).toEqual([]);
  });

  const UNSIGNED = 'body is not JSON with a "signature" object (form-encoded Mailgun webhooks are not supported)';
  const good = sign(String(NOW_S), 'tok-1');
  const { signature: _digest, ...withoutDigest } = good;
  const { token: _token, ...withoutToken } = good;
  const { timestamp: _timestamp, ...withoutTimestamp } = good;
  test.each<[string, string | Buffer, string, string]>([
    ['a body that is not JSON', 'not json', 'missing_signature', UNSIGNED],
    ['a body that is not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'missing_signature', UNSIGNED],
    ['a legacy form-encoded post', `timestamp=${NOW_S}&token=tok-1&signature=${good.signature}`, 'missing_signature', UNSIGNED],
    ['a JSON body without "signature"', JSON.stringify({ 'event-data': EVENT_DATA }), 'missing_signature', UNSIGNED],
    ['a JSON array body', JSON.stringify([{ signature: good }]), 'missing_signature', UNSIGNED],
    ['a "signature" that is a string', body('abc'), 'missing_signature', UNSIGNED],
    // null is an object to typeof: it must still be read as "no signature block", not as an empty one.
    ['a "signature" that is null', body(null), 'missing_signature', UNSIGNED],
    // An object with no digest in it is a signature block that lacks its digest: a different message.
    ['a signature block without its digest', body(withoutDigest), 'missing_signature', 'missing signature.signature'],
    ['a signature block that is an array', body([good]), 'missing_signature', 'missing signature.signature'],
    ['an empty digest', body({ ...good, signature: '' }), 'missing_signature', 'missing signature.signature'],
    // Hex of the wrong size is malformed, not a mismatch: only a 32-byte digest is an HMAC-SHA256.
    ['a digest one byte short', body({ ...good, signature: good.signature.slice(0, -2) }), 'malformed_signature', 'signature.signature is not 64 hex characters'],
    ['a digest one byte long', body({ ...good, signature: `${good.signature}00` }), 'malformed_signature', 'signature.signature is not 64 hex characters'],
    ['a digest of odd length', body({ ...good, signature: good.signature.slice(0, -1) }), 'malformed_signature', 'signature.signature is not 64 hex characters'],
    ['a digest of 64 characters that are not hex', body({ ...good, signature: 'z'.repeat(64) }), 'malformed_signature', 'signature.signature is not 64 hex characters'],
    ['a block without a token', body(withoutToken), 'malformed_signature', 'signature.token is missing or longer than 256 characters'],
    ['an empty token', body({ ...good, token: '' }), 'malformed_signature', 'signature.token is missing or longer than 256 characters'],
    ['a token of 257 characters', body(sign(String(NOW_S), 'x'.repeat(257))), 'malformed_signature', 'signature.token is missing or longer than 256 characters'],
    ['a block without a timestamp', body(withoutTimestamp), 'malformed_timestamp', 'missing signature.timestamp'],
    ['an empty timestamp', body(sign('', 'tok-1')), 'malformed_timestamp', 'missing signature.timestamp'],
    ['a timestamp with a fraction', body(sign(`${NOW_S}.5`, 'tok-1')), 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    ['a negative timestamp', body(sign(`-${NOW_S}`, 'tok-1')), 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    // Milliseconds (13 digits) are the wrong unit: refused as malformed rather than read as a far-future time.
    ['a timestamp in milliseconds', body(sign(String(NOW_MS), 'tok-1')), 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    ['a timestamp 301 s old', body(sign(String(NOW_S - 301), 'tok-1')), 'timestamp_out_of_window', 'signed timestamp is 301 s old; tolerance is 300 s'],
    ['a timestamp 301 s in the future', body(sign(String(NOW_S + 301), 'tok-1')), 'timestamp_out_of_window', 'signed timestamp is 301 s in the future; tolerance is 300 s'],
    ['a digest made with another key', body(sign(String(NOW_S), 'tok-1', 'other-key')), 'bad_signature', 'signature does not match'],
  ])('%s is a 401 whose detail names the problem', (_case, payload, code, detail) => {
    expect(verify(payload)).toEqual({ ok: false, status: 401, code, detail });
  });

  test('a token of exactly 256 characters is accepted (the bound is inclusive), 257 is refused', () => {
    expect(verify(body(sign(String(NOW_S), 'x'.repeat(256))))).toMatchObject({ ok: true, event: { signedContent: contentKeyed(sha256(`${NOW_S}${'x'.repeat(256)}`)) } });
    expect(verify(body(sign(String(NOW_S), 'x'.repeat(257))))).toMatchObject({ ok: false, code: 'malformed_signature' });
  });

  test('an upper-case hex digest is the same digest', () => {
    expect(verify(body({ ...good, signature: good.signature.toUpperCase() }))).toMatchObject({ ok: true });
  });

  test.each([
    ['no event-data', JSON.stringify({ signature: good })],
    ['an event-data without id', body(good, { event: 'delivered' })],
    ['an empty event-data.id', body(good, { ...EVENT_DATA, id: '' })],
  ])('a correctly signed body with %s is a 400 naming the field', (_case, payload) => {
    expect(verify(payload)).toEqual({ ok: false, status: 400, code: 'missing_event_id', detail: 'no event ID found in the body field "event-data.id"' });
  });

  test('an event without message headers or an event name is accepted with no group key and no type', () => {
    // Only the ID is required: type and group are read when present and left out otherwise.
    const eventData = { id: 'evt-9' };
    expect(verify(body(good, eventData))).toEqual({
      ok: true,
      event: { id: 'evt-9', type: undefined, groupKey: undefined, signedContent: contentKeyed(sha256(`${NOW_S}tok-1`)), payload: JSON.parse(body(good, eventData)) },
    });
  });
});
