import { createHmac } from 'node:crypto';
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
  test('requires the signature and timestamp headers', () => {
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
});
