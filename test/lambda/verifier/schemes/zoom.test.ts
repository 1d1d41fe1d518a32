import { createHash, createHmac } from 'node:crypto';
import { zoomScheme } from '../../../../lambda/verifier/schemes/zoom';
import { context, inbound } from '../../../support/requests';

const SECRET = 'zoom_webhook_secret_token';
const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;
const meetingStarted = JSON.stringify({
  event: 'meeting.started', event_ts: 1_699_999_999_123,
  payload: { account_id: 'AAAAAABBBB', object: { id: 85472946218, uuid: 'Ynq3vVvLQ0WoVt+cmsmWdA==', topic: 'Réunion ☕' } },
});

/** Signs by hand, as Zoom does: there is no standalone official signer or verifier (only Rivet's receivers). */
function sign(body: string | Buffer, timestamp: number | string = NOW_S, secret = SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

function signed(body: string | Buffer, timestamp: number = NOW_S, secret = SECRET): Record<string, string> {
  return { 'x-zm-signature': sign(body, timestamp, secret), 'x-zm-request-timestamp': String(timestamp) };
}

function verify(body: string | Buffer, headers: Record<string, string>, secrets = [SECRET], nowMs = NOW_MS) {
  return zoomScheme.verify(inbound({ body, headers }), context(secrets, nowMs), {});
}

function validation(plainToken: string): string {
  return JSON.stringify({ payload: { plainToken }, event_ts: 1_699_999_999_000, event: 'endpoint.url_validation' });
}

describe('zoom scheme', () => {
  test('requiredHeaders are the signature and timestamp headers: the construct makes them required request parameters of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // missing either is refused at the gateway (400) and never invokes the verifier.
    expect(zoomScheme.requiredHeaders({})).toEqual(['x-zm-signature', 'x-zm-request-timestamp']);
  });

  test('reproduces the encryptedToken vector when answering a signed endpoint.url_validation', () => {
    const body = validation('qgg8vlvZRS6UYooatFL8Aw');
    const verdict = verify(body, signed(body));
    expect(verdict).toMatchObject({ ok: true, handshake: { statusCode: 200, contentType: 'application/json' } });
    expect(verdict.ok && JSON.parse(verdict.handshake?.body ?? '')).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: 'b69d7951c802f2f5b3445316790e9c937e8e201b2d8a5583d2fbaaafbb2e432b',
    });
  });

  test('answers url_validation only after the signature verifies, with the secret that verified it', () => {
    const body = validation('qgg8vlvZRS6UYooatFL8Aw');
    expect(verify(body, { 'x-zm-request-timestamp': String(NOW_S) })).toEqual(expect.objectContaining({ ok: false, status: 401, code: 'missing_signature' }));
    expect(verify(body, signed(body, NOW_S, 'wrong'))).toEqual(expect.objectContaining({ ok: false, status: 401, code: 'bad_signature' }));
    expect(verify(body, signed(body, NOW_S - 3600))).toEqual(expect.objectContaining({ ok: false, code: 'timestamp_out_of_window' }));

    const rotated = verify(body, signed(body, NOW_S, 'new_secret'), [SECRET, 'new_secret']);
    const token = createHmac('sha256', 'new_secret').update('qgg8vlvZRS6UYooatFL8Aw').digest('hex');
    expect(rotated.ok && JSON.parse(rotated.handshake?.body ?? '')).toEqual({ plainToken: 'qgg8vlvZRS6UYooatFL8Aw', encryptedToken: token });
  });

  test('accepts a signed event: type is event, group is the meeting, raw UTF-8 bytes verified as sent', () => {
    expect(verify(meetingStarted, signed(meetingStarted))).toMatchObject({
      ok: true, event: { id: expect.stringMatching(/^meeting\.started:1699999999123:[0-9a-f]{32}$/), type: 'meeting.started', groupKey: '85472946218' },
    });
    expect(verify(meetingStarted, signed(meetingStarted))).not.toHaveProperty('handshake');
  });

  test('verifies the raw bytes, so a pretty-printed body passes (Rivet re-serialises it and fails)', () => {
    const pretty = JSON.stringify(JSON.parse(meetingStarted), null, 2);
    expect(verify(pretty, signed(pretty))).toMatchObject({ ok: true });
    expect(sign(JSON.stringify(JSON.parse(pretty)))).not.toBe(sign(pretty));
  });

  test('the event ID survives a re-signed retry and separates different events of the same type and instant', () => {
    const idOf = (body: string, timestamp: number) => {
      const verdict = verify(body, signed(body, timestamp), [SECRET], timestamp * 1000);
      if (!verdict.ok) throw new Error(verdict.detail);
      return verdict.event.id;
    };
    const first = idOf(meetingStarted, NOW_S);
    expect(idOf(meetingStarted, NOW_S + 300)).toBe(first);
    const otherMeeting = meetingStarted.replace('85472946218', '85472946219');
    expect(idOf(otherMeeting, NOW_S)).not.toBe(first);
  });

  test('rejects a tampered body, a wrong secret and a missing header', () => {
    expect(verify(meetingStarted.replace('started', 'ended'), signed(meetingStarted))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(meetingStarted, signed(meetingStarted, NOW_S, 'other'))).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(meetingStarted, { 'x-zm-request-timestamp': String(NOW_S) })).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
  });

  test('rejects stale and future timestamps (Rivet checks none)', () => {
    expect(verify(meetingStarted, signed(meetingStarted, NOW_S - 301))).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
    expect(verify(meetingStarted, signed(meetingStarted, NOW_S + 301))).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
    expect(verify(meetingStarted, signed(meetingStarted, 1))).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    expect(verify(meetingStarted, signed(meetingStarted, NOW_S + 299))).toMatchObject({ ok: true });
  });

  test('refuses malformed signatures and timestamps', () => {
    const good = sign(meetingStarted);
    const ts = { 'x-zm-request-timestamp': String(NOW_S) };
    for (const bad of [good.slice(3), good.replace('v0=', 'v1='), 'v0=abc', `v0=${'g'.repeat(64)}`, `${good},${good}`]) {
      expect(verify(meetingStarted, { ...ts, 'x-zm-signature': bad })).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
    for (const timestamp of ['', 'abc', '1700000000000000', '-1']) {
      expect(verify(meetingStarted, { 'x-zm-signature': sign(meetingStarted, timestamp), 'x-zm-request-timestamp': timestamp }))
        .toMatchObject({ ok: false, status: 401, code: 'malformed_timestamp' });
    }
    expect(verify(meetingStarted, { 'x-zm-signature': good })).toMatchObject({ ok: false, code: 'malformed_timestamp' });
  });

  test('accepts a request signed with any of several active secrets', () => {
    expect(verify(meetingStarted, signed(meetingStarted, NOW_S, 'old'), [SECRET, 'old'])).toMatchObject({ ok: true });
  });

  test('correctly signed bodies that are not JSON, have no event or no plainToken are 400s', () => {
    for (const [body, code] of [['not json', 'malformed_body'], ['{"payload":{}}', 'missing_event_id'], ['{"event":"endpoint.url_validation","payload":{}}', 'malformed_body']]) {
      expect(verify(body, signed(body))).toMatchObject({ ok: false, status: 400, code });
    }
  });

  /** The first 128 bits (32 hex digits) of the SHA-256 of the raw body: the part of the ID that tells bodies apart. */
  const bodyDigest = (body: string | Buffer) => createHash('sha256').update(body).digest('hex').slice(0, 32);
  const digest = createHmac('sha256', SECRET).update(`v0:${NOW_S}:${meetingStarted}`).digest('hex');

  test.each<[string, Record<string, string>, string, string]>([
    ['no x-zm-signature header', { 'x-zm-request-timestamp': String(NOW_S) }, 'missing_signature', 'missing x-zm-signature header'],
    ['a v1= signature', { ...signed(meetingStarted), 'x-zm-signature': `v1=${digest}` }, 'malformed_signature', 'x-zm-signature is not v0=<64 hex digits>'],
    // Well-formed hex of the wrong size is malformed, not a mismatch: only a 32-byte digest is an HMAC-SHA256.
    ['a digest cut short by one byte', { ...signed(meetingStarted), 'x-zm-signature': `v0=${digest.slice(0, -2)}` }, 'malformed_signature', 'x-zm-signature is not v0=<64 hex digits>'],
    ['a digest one byte too long', { ...signed(meetingStarted), 'x-zm-signature': `v0=${digest}00` }, 'malformed_signature', 'x-zm-signature is not v0=<64 hex digits>'],
    ['no x-zm-request-timestamp header', { 'x-zm-signature': sign(meetingStarted) }, 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    // Zoom's event_ts is in milliseconds; the header is in seconds. A millisecond header is a wrong unit, refused as malformed.
    ['a timestamp in milliseconds', { 'x-zm-signature': sign(meetingStarted, NOW_MS), 'x-zm-request-timestamp': String(NOW_MS) }, 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    ['a timestamp one second past the tolerance, old', signed(meetingStarted, NOW_S - 301), 'timestamp_out_of_window', 'signed timestamp is 301 s old; tolerance is 300 s'],
    ['a timestamp one second past the tolerance, in the future', signed(meetingStarted, NOW_S + 301), 'timestamp_out_of_window', 'signed timestamp is 301 s in the future; tolerance is 300 s'],
    ['a signature made with another secret', signed(meetingStarted, NOW_S, 'other'), 'bad_signature', 'signature does not match'],
    ['a signature over another timestamp', { ...signed(meetingStarted), 'x-zm-request-timestamp': String(NOW_S - 1) }, 'bad_signature', 'signature does not match'],
  ])('%s is a 401 whose detail names the problem', (_case, headers, code, detail) => {
    expect(verify(meetingStarted, headers)).toEqual({ ok: false, status: 401, code, detail });
  });

  test('a timestamp exactly at the tolerance verifies, in both directions', () => {
    expect(verify(meetingStarted, signed(meetingStarted, NOW_S - 300))).toMatchObject({ ok: true, event: { type: 'meeting.started' } });
    expect(verify(meetingStarted, signed(meetingStarted, NOW_S + 300))).toMatchObject({ ok: true, event: { type: 'meeting.started' } });
  });

  test.each<[string, string | Buffer, string, string]>([
    ['a body that is not JSON', 'not json', 'malformed_body', 'body is not valid JSON'],
    ['a body that is not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'malformed_body', 'body is not valid UTF-8'],
    ['a body without event', '{"event_ts":1,"payload":{}}', 'missing_event_id', 'no event ID found in the body field "event"'],
    ['a body with an empty event', '{"event":"","payload":{}}', 'missing_event_id', 'no event ID found in the body field "event"'],
    ['an endpoint.url_validation without plainToken', '{"event":"endpoint.url_validation","payload":{}}', 'malformed_body', 'endpoint.url_validation without payload.plainToken'],
    ['an endpoint.url_validation with an empty plainToken', '{"event":"endpoint.url_validation","payload":{"plainToken":""}}', 'malformed_body', 'endpoint.url_validation without payload.plainToken'],
  ])('%s is a 400 whose detail names the problem', (_case, body, code, detail) => {
    expect(verify(body, signed(body))).toEqual({ ok: false, status: 400, code, detail });
  });

  test('the event ID is exactly event, event_ts and the first 32 hex digits of the body digest, joined by colons', () => {
    expect(verify(meetingStarted, signed(meetingStarted))).toMatchObject({
      ok: true, event: { id: `meeting.started:1699999999123:${bodyDigest(meetingStarted)}` },
    });
  });

  test('without event_ts the ID is event and the body digest alone, with no empty part between them', () => {
    const body = JSON.stringify({ event: 'meeting.ended', payload: { object: { id: 1 } } });
    expect(verify(body, signed(body))).toMatchObject({ ok: true, event: { id: `meeting.ended:${bodyDigest(body)}`, type: 'meeting.ended', groupKey: '1' } });
  });

  test('endpoint.url_validation: the event is the validation request itself, with no group, and the handshake answers it exactly', () => {
    const body = validation('qgg8vlvZRS6UYooatFL8Aw');
    expect(verify(body, signed(body))).toEqual({
      ok: true,
      event: { id: `endpoint.url_validation:1699999999000:${bodyDigest(body)}`, type: 'endpoint.url_validation', payload: JSON.parse(body) },
      handshake: {
        statusCode: 200,
        body: '{"plainToken":"qgg8vlvZRS6UYooatFL8Aw","encryptedToken":"b69d7951c802f2f5b3445316790e9c937e8e201b2d8a5583d2fbaaafbb2e432b"}',
        contentType: 'application/json',
      },
    });
  });

  test('an event without an object ID is grouped by the account; with neither there is no group; the object wins when both are present', () => {
    const account = JSON.stringify({ event: 'account.updated', event_ts: 1, payload: { account_id: 'AAAAAABBBB', object: { name: 'x' } } });
    expect(verify(account, signed(account))).toMatchObject({ ok: true, event: { type: 'account.updated', groupKey: 'AAAAAABBBB' } });
    const neither = JSON.stringify({ event: 'app.deauthorized', event_ts: 1, payload: {} });
    const verdict = verify(neither, signed(neither));
    expect(verdict).toMatchObject({ ok: true, event: { type: 'app.deauthorized' } });
    expect(verdict.ok && verdict.event.groupKey).toBeUndefined();
    expect(verify(meetingStarted, signed(meetingStarted))).toMatchObject({ ok: true, event: { groupKey: '85472946218' } });
  });

  test('header names are matched case-insensitively', () => {
    const mixed = { 'X-Zm-Signature': sign(meetingStarted), 'X-Zm-Request-Timestamp': String(NOW_S) };
    expect(verify(meetingStarted, mixed)).toMatchObject({ ok: true, event: { type: 'meeting.started' } });
  });
});
