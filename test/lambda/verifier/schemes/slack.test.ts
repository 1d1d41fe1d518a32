import { createHmac } from 'node:crypto';
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
  test('requires the signature and timestamp headers', () => {
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
});
