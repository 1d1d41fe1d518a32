import { createHash, createHmac } from 'node:crypto';
import { isValidSlackRequest, verifySlackRequest } from '@slack/bolt';
import { slackScheme } from '../../../../lambda/verifier/schemes/slack';
import { context, inbound } from '../../../support/requests';

const SECRET = 'slack_signing_secret';
const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;

const eventCallback = JSON.stringify({
  type: 'event_callback', event_id: 'Ev123', team_id: 'T1', event: { type: 'app_mention', text: 'café ☕' },
});
const slashCommand = 'team_id=T9&command=%2Fdeploy&text=prod&trigger_id=13345224609.738474920.8088930838d88f008e0';

/** Signs by hand, as Slack does: there is no official signer. */
function sign(body: string, timestamp: number | string = NOW_S, secret = SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function verify(body: string | Buffer, headers: Record<string, string>, secrets = [SECRET], nowMs = NOW_MS) {
  return slackScheme.verify(inbound({ body, headers }), context(secrets, nowMs), {});
}

function signed(body: string, timestamp: number = NOW_S, secret = SECRET): Record<string, string> {
  return { 'X-Slack-Signature': sign(body, timestamp, secret), 'X-Slack-Request-Timestamp': String(timestamp) };
}

describe('slack scheme', () => {
  test('requiredHeaders are the signature and timestamp headers: the construct makes them required request parameters of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // missing either is refused at the gateway (400) and never invokes the verifier.
    expect(slackScheme.requiredHeaders({})).toEqual(['X-Slack-Signature', 'X-Slack-Request-Timestamp']);
  });

  test('reproduces the Slack documentation vector (a form-encoded slash command), which Bolt also verifies', () => {
    // GIVEN the example from Slack's "Verifying requests" documentation
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const timestamp = 1531420618;
    const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
    // WHEN / THEN
    expect(sign(body, timestamp, secret)).toBe(signature);
    const verdict = verify(body, { 'X-Slack-Signature': signature, 'X-Slack-Request-Timestamp': String(timestamp) }, [secret], timestamp * 1000);
    expect(verdict).toMatchObject({
      ok: true,
      event: { id: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c', type: '/webhook-collect', groupKey: 'T1DC2JH3J' },
    });
    expect(() => verifySlackRequest({
      signingSecret: secret, body, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp }, nowMilliseconds: timestamp * 1000,
    })).not.toThrow();
  });

  test('what our tests sign by hand is accepted by Bolt', () => {
    for (const body of [eventCallback, slashCommand]) {
      expect(isValidSlackRequest({
        signingSecret: SECRET, body, headers: { 'x-slack-signature': sign(body), 'x-slack-request-timestamp': NOW_S }, nowMilliseconds: NOW_MS,
      })).toBe(true);
    }
  });

  test('Events API: id is event_id, type is event.type, group is the workspace; UTF-8 bytes verified as sent', () => {
    expect(verify(eventCallback, signed(eventCallback))).toMatchObject({
      ok: true, event: { id: 'Ev123', type: 'app_mention', groupKey: 'T1', payload: { event: { text: 'café ☕' } } },
    });
    expect(verify(eventCallback, signed(eventCallback))).not.toHaveProperty('handshake');
    expect(verify(eventCallback, signed(eventCallback))).not.toHaveProperty('event.acknowledgement');
  });

  test('slash command: id is trigger_id, type is the command, payload is the form, acknowledged with an empty 200', () => {
    expect(verify(slashCommand, signed(slashCommand))).toMatchObject({
      ok: true,
      event: {
        id: '13345224609.738474920.8088930838d88f008e0', type: '/deploy', groupKey: 'T9', payload: { text: 'prod' },
        acknowledgement: { statusCode: 200, body: '' },
      },
    });
  });

  test('interactive payload: id is trigger_id, else a digest that repeats only for an exact replay', () => {
    const action = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', trigger_id: 'tr.1', team: { id: 'T2' } }))}`;
    expect(verify(action, signed(action))).toMatchObject({ ok: true, event: { id: 'tr.1', type: 'block_actions', groupKey: 'T2', acknowledgement: { body: '' }, jsonField: 'payload' } });

    const closed = `payload=${encodeURIComponent(JSON.stringify({ type: 'view_closed', team: { id: 'T2' } }))}`;
    const first = verify(closed, signed(closed));
    const replay = verify(closed, signed(closed));
    const later = verify(closed, signed(closed, NOW_S + 1), [SECRET], NOW_MS + 1000);
    expect(first).toMatchObject({ ok: true, event: { id: expect.stringMatching(/^sha256-[0-9a-f]{64}$/), type: 'view_closed' } });
    expect(first.ok && replay.ok && first.event.id === replay.event.id).toBe(true);
    expect(first.ok && later.ok && first.event.id !== later.event.id).toBe(true);
  });

  test('url_verification is answered with the challenge only after the signature verifies', () => {
    const body = JSON.stringify({ token: 't', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    expect(verify(body, signed(body))).toMatchObject({
      ok: true,
      handshake: { statusCode: 200, contentType: 'application/json', body: JSON.stringify({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' }) },
    });
    expect(verify(body, {})).toEqual(expect.objectContaining({ ok: false, status: 401, code: 'missing_signature' }));
    expect(verify(body, signed(body, NOW_S, 'wrong'))).toEqual(expect.objectContaining({ ok: false, status: 401, code: 'bad_signature' }));
  });

  test('ssl_check is answered only after the signature verifies (Bolt answers it unverified)', () => {
    const body = 'ssl_check=1&token=abc';
    expect(verify(body, signed(body))).toMatchObject({ ok: true, handshake: { statusCode: 200, body: '' } });
    expect(verify(body, {})).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
    expect(verify(body, signed(body, NOW_S, 'wrong'))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
  });

  test('rejects a tampered body, a wrong secret and a missing signature', () => {
    expect(verify(eventCallback.replace('Ev123', 'Ev124'), signed(eventCallback))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(eventCallback, signed(eventCallback, NOW_S, 'other'))).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(eventCallback, { 'X-Slack-Request-Timestamp': String(NOW_S) })).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
  });

  test('rejects stale and future timestamps (Bolt accepts future ones)', () => {
    expect(verify(eventCallback, signed(eventCallback, NOW_S - 301))).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
    expect(verify(eventCallback, signed(eventCallback, NOW_S + 3600))).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
    expect(isValidSlackRequest({
      signingSecret: SECRET, body: eventCallback, headers: { 'x-slack-signature': sign(eventCallback, NOW_S + 3600), 'x-slack-request-timestamp': NOW_S + 3600 }, nowMilliseconds: NOW_MS,
    })).toBe(true);
    expect(verify(eventCallback, signed(eventCallback, NOW_S + 299))).toMatchObject({ ok: true });
  });

  test('refuses malformed signatures and timestamps', () => {
    const good = sign(eventCallback);
    const ts = { 'X-Slack-Request-Timestamp': String(NOW_S) };
    for (const bad of [good.replace('v0=', 'v1='), 'v0=abc', `v0=${'z'.repeat(64)}`, good.slice(3), `${good},${good}`]) {
      expect(verify(eventCallback, { ...ts, 'X-Slack-Signature': bad })).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
    for (const timestamp of ['', '1e9', '-1700000000', ' 1700000000', '1700000000.5']) {
      expect(verify(eventCallback, { 'X-Slack-Signature': sign(eventCallback, timestamp), 'X-Slack-Request-Timestamp': timestamp }))
        .toMatchObject({ ok: false, status: 401, code: 'malformed_timestamp' });
    }
    expect(verify(eventCallback, { 'X-Slack-Signature': good })).toMatchObject({ ok: false, code: 'malformed_timestamp' });
  });

  test('accepts a request signed with any of several active secrets', () => {
    expect(verify(eventCallback, signed(eventCallback, NOW_S, 'old_secret'), [SECRET, 'old_secret'])).toMatchObject({ ok: true });
    expect(verify(eventCallback, signed(eventCallback, NOW_S, 'old_secret'), [SECRET])).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('correctly signed bodies without an ID or in no known shape are 400s', () => {
    const noId = JSON.stringify({ type: 'event_callback', event: { type: 'message' } });
    expect(verify(noId, signed(noId))).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
    const noTrigger = 'command=%2Fdeploy&team_id=T1';
    expect(verify(noTrigger, signed(noTrigger))).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
    const unknownForm = 'hello=world';
    expect(verify(unknownForm, signed(unknownForm))).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
    const badJson = '{"type": ';
    expect(verify(badJson, signed(badJson))).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
    const notUtf8 = Buffer.from([0x7b, 0xff, 0xfe]);
    const headers = { 'X-Slack-Signature': `v0=${createHmac('sha256', SECRET).update(`v0:${NOW_S}:`).update(notUtf8).digest('hex')}`, 'X-Slack-Request-Timestamp': String(NOW_S) };
    expect(verify(notUtf8, headers)).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
  });

  /** The ID Slack payloads without a delivery ID get: the digest of exactly the signed bytes. */
  const fallbackId = (body: string | Buffer, timestamp: number | string = NOW_S) => `sha256-${createHash('sha256').update(`v0:${timestamp}:`).update(body).digest('hex')}`;
  const digest = createHmac('sha256', SECRET).update(`v0:${NOW_S}:${eventCallback}`).digest('hex');

  test.each<[string, Record<string, string>, string, string]>([
    ['no X-Slack-Signature header', { 'X-Slack-Request-Timestamp': String(NOW_S) }, 'missing_signature', 'missing X-Slack-Signature header'],
    ['a v1= signature', { ...signed(eventCallback), 'X-Slack-Signature': `v1=${digest}` }, 'malformed_signature', 'X-Slack-Signature is not v0=<64 hex digits>'],
    ['an upper-case V0= prefix', { ...signed(eventCallback), 'X-Slack-Signature': `V0=${digest}` }, 'malformed_signature', 'X-Slack-Signature is not v0=<64 hex digits>'],
    // Well-formed hex of the wrong size is malformed, not a mismatch: only a 32-byte digest is an HMAC-SHA256.
    ['a digest cut short by one byte', { ...signed(eventCallback), 'X-Slack-Signature': `v0=${digest.slice(0, -2)}` }, 'malformed_signature', 'X-Slack-Signature is not v0=<64 hex digits>'],
    ['a digest one byte too long', { ...signed(eventCallback), 'X-Slack-Signature': `v0=${digest}00` }, 'malformed_signature', 'X-Slack-Signature is not v0=<64 hex digits>'],
    ['no X-Slack-Request-Timestamp header', { 'X-Slack-Signature': sign(eventCallback) }, 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    // Milliseconds (13 digits) are a wrong unit, not a far-future time: refused as malformed even when signed over.
    ['a timestamp in milliseconds', { 'X-Slack-Signature': sign(eventCallback, NOW_MS), 'X-Slack-Request-Timestamp': String(NOW_MS) }, 'malformed_timestamp', 'timestamp is not a whole number of seconds'],
    ['a timestamp one second past the tolerance, old', signed(eventCallback, NOW_S - 301), 'timestamp_out_of_window', 'signed timestamp is 301 s old; tolerance is 300 s'],
    ['a timestamp one second past the tolerance, in the future', signed(eventCallback, NOW_S + 301), 'timestamp_out_of_window', 'signed timestamp is 301 s in the future; tolerance is 300 s'],
    ['a signature made with another secret', signed(eventCallback, NOW_S, 'other'), 'bad_signature', 'signature does not match'],
    // The timestamp is signed: moving it (here by one second) breaks the signature.
    ['a signature over another timestamp', { ...signed(eventCallback), 'X-Slack-Request-Timestamp': String(NOW_S + 1) }, 'bad_signature', 'signature does not match'],
  ])('%s is a 401 whose detail names the problem', (_case, headers, code, detail) => {
    expect(verify(eventCallback, headers)).toEqual({ ok: false, status: 401, code, detail });
  });

  test('a timestamp exactly at the tolerance verifies, in both directions', () => {
    expect(verify(eventCallback, signed(eventCallback, NOW_S - 300))).toMatchObject({ ok: true, event: { id: 'Ev123' } });
    expect(verify(eventCallback, signed(eventCallback, NOW_S + 300))).toMatchObject({ ok: true, event: { id: 'Ev123' } });
  });

  const notUtf8 = Buffer.from([0x7b, 0xff, 0xfe]);
  const interactive = (payload: object) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  test.each<[string, string | Buffer, string, string]>([
    ['an event_callback without event_id', JSON.stringify({ type: 'event_callback', event: { type: 'message' } }), 'missing_event_id', 'no event ID found in the body field "event_id"'],
    ['an event_callback with an empty event_id', JSON.stringify({ type: 'event_callback', event_id: '', event: { type: 'message' } }), 'missing_event_id', 'no event ID found in the body field "event_id"'],
    ['a url_verification without a challenge', JSON.stringify({ type: 'url_verification', token: 't' }), 'malformed_body', 'url_verification without a challenge'],
    ['a url_verification with an empty challenge', JSON.stringify({ type: 'url_verification', challenge: '' }), 'malformed_body', 'url_verification without a challenge'],
    ['a body that starts like JSON but does not parse', '{"type": ', 'malformed_body', 'body is not valid JSON'],
    // Not UTF-8: neither JSON nor a form can be read, and no replacement character is let through.
    ['a body that is not UTF-8', notUtf8, 'malformed_body', 'body is neither JSON nor a UTF-8 form'],
    ['a form with two payload fields', `${interactive({ type: 'block_actions' })}&${interactive({ type: 'view_closed' })}`, 'malformed_body', 'form carries several payload fields'],
    ['a form whose payload is not JSON', 'payload=not-json', 'malformed_body', 'body is not valid JSON'],
    ['a form whose payload is empty', 'payload=', 'malformed_body', 'body is not valid JSON'],
    ['a form that is neither a command nor a payload', 'hello=world', 'malformed_body', 'form is neither a slash command nor an interactive payload'],
    // A duplicated command is ambiguous (which one did the user run?): it is read as no command at all.
    ['a form with the command twice', 'command=%2Fdeploy&command=%2Fdestroy&trigger_id=tr.1', 'malformed_body', 'form is neither a slash command nor an interactive payload'],
    ['a slash command with an empty command', 'command=&trigger_id=tr.1', 'malformed_body', 'form is neither a slash command nor an interactive payload'],
    ['a slash command without trigger_id', 'command=%2Fdeploy&team_id=T1', 'missing_event_id', 'no event ID found in the form field "trigger_id"'],
    ['a slash command with trigger_id twice', 'command=%2Fdeploy&trigger_id=tr.1&trigger_id=tr.2', 'missing_event_id', 'no event ID found in the form field "trigger_id"'],
  ])('%s is a 400 whose detail names the problem', (_case, body, code, detail) => {
    const headers = { 'X-Slack-Signature': `v0=${createHmac('sha256', SECRET).update(`v0:${NOW_S}:`).update(body).digest('hex')}`, 'X-Slack-Request-Timestamp': String(NOW_S) };
    expect(verify(body, headers)).toEqual({ ok: false, status: 400, code, detail });
  });

  test('url_verification: the event is the challenge request itself, under the digest of the signed bytes, with no group or acknowledgement', () => {
    const body = JSON.stringify({ token: 't', challenge: 'c-1', type: 'url_verification', team_id: 'T1' });
    expect(verify(body, signed(body))).toEqual({
      ok: true,
      event: { id: fallbackId(body), type: 'url_verification', payload: JSON.parse(body) },
      handshake: { statusCode: 200, body: '{"challenge":"c-1"}', contentType: 'application/json' },
    });
  });

  test('the fallback ID is the SHA-256 of exactly the signed bytes: v0, the timestamp and the body', () => {
    const closed = interactive({ type: 'view_closed', team: { id: 'T2' } });
    expect(verify(closed, signed(closed))).toMatchObject({ ok: true, event: { id: fallbackId(closed) } });
    expect(verify(closed, signed(closed, NOW_S + 1))).toMatchObject({ ok: true, event: { id: fallbackId(closed, NOW_S + 1) } });
  });

  test('a JSON body after leading whitespace is still read as JSON (the form parser would misread it)', () => {
    const body = `\n  ${eventCallback}`;
    expect(verify(body, signed(body))).toMatchObject({ ok: true, event: { id: 'Ev123', type: 'app_mention', groupKey: 'T1' } });
  });

  test('Events API payloads other than event_callback need no event_id: the fallback ID, their own type and the workspace group', () => {
    // app_rate_limited carries no event_id and is never retried.
    const body = JSON.stringify({ token: 't', type: 'app_rate_limited', team_id: 'T1', minute_rate_limited: 1518467820, api_app_id: 'A1' });
    expect(verify(body, signed(body))).toEqual({
      ok: true, event: { id: fallbackId(body), type: 'app_rate_limited', payload: JSON.parse(body), groupKey: 'T1' },
    });
  });

  test('an event_callback is typed by event.type (none when absent) and grouped by enterprise_id without team_id; team_id wins when both are present', () => {
    const orgWide = JSON.stringify({ type: 'event_callback', event_id: 'Ev9', enterprise_id: 'E1', event: { type: 'team_join' } });
    expect(verify(orgWide, signed(orgWide))).toMatchObject({ ok: true, event: { id: 'Ev9', type: 'team_join', groupKey: 'E1' } });
    const both = JSON.stringify({ type: 'event_callback', event_id: 'Ev8', team_id: 'T1', enterprise_id: 'E1', event: { type: 'team_join' } });
    expect(verify(both, signed(both))).toMatchObject({ ok: true, event: { groupKey: 'T1' } });
    const untyped = JSON.stringify({ type: 'event_callback', event_id: 'Ev7' });
    const verdict = verify(untyped, signed(untyped));
    expect(verdict).toMatchObject({ ok: true, event: { id: 'Ev7' } });
    expect(verdict.ok && verdict.event.type).toBeUndefined();
    expect(verdict.ok && verdict.event.groupKey).toBeUndefined();
  });

  test('interactive payload: grouped by enterprise.id without team.id; without trigger_id the fallback ID; acknowledged with an empty text/plain 200', () => {
    const body = interactive({ type: 'block_actions', enterprise: { id: 'E1' } });
    expect(verify(body, signed(body))).toEqual({
      ok: true,
      event: {
        id: fallbackId(body), type: 'block_actions', payload: { type: 'block_actions', enterprise: { id: 'E1' } }, groupKey: 'E1',
        acknowledgement: { statusCode: 200, body: '', contentType: 'text/plain' }, jsonField: 'payload',
      },
    });
    const both = interactive({ type: 'block_actions', trigger_id: 'tr.1', team: { id: 'T2' }, enterprise: { id: 'E1' } });
    expect(verify(both, signed(both))).toMatchObject({ ok: true, event: { groupKey: 'T2' } });
  });

  test('slash command: grouped by enterprise_id without team_id; a repeated field is kept as a list in the payload', () => {
    const body = 'enterprise_id=E1&command=%2Fdeploy&text=a&text=b&trigger_id=tr.9';
    expect(verify(body, signed(body))).toEqual({
      ok: true,
      event: {
        id: 'tr.9', type: '/deploy', groupKey: 'E1', payload: { enterprise_id: 'E1', command: '/deploy', text: ['a', 'b'], trigger_id: 'tr.9' },
        acknowledgement: { statusCode: 200, body: '', contentType: 'text/plain' },
      },
    });
    const both = 'team_id=T1&enterprise_id=E1&command=%2Fdeploy&trigger_id=tr.9';
    expect(verify(both, signed(both))).toMatchObject({ ok: true, event: { groupKey: 'T1' } });
  });

  test('ssl_check: the event is the check itself under the fallback ID, answered with an empty text/plain 200, even beside a payload field', () => {
    const body = 'ssl_check=1&token=abc';
    expect(verify(body, signed(body))).toEqual({
      ok: true,
      event: { id: fallbackId(body), type: 'ssl_check', payload: { ssl_check: '1', token: 'abc' } },
      handshake: { statusCode: 200, body: '', contentType: 'text/plain' },
    });
    const withPayload = `ssl_check=1&${interactive({ type: 'block_actions', trigger_id: 'tr.1' })}`;
    expect(verify(withPayload, signed(withPayload))).toMatchObject({ ok: true, event: { id: fallbackId(withPayload), type: 'ssl_check' } });
  });

  test('header names are matched case-insensitively (HTTP/2 senders and proxies lower-case them)', () => {
    const lower = { 'x-slack-signature': sign(eventCallback), 'x-slack-request-timestamp': String(NOW_S) };
    expect(verify(eventCallback, lower)).toMatchObject({ ok: true, event: { id: 'Ev123' } });
  });
});
