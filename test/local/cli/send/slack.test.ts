import { verifySlackRequest } from '@slack/bolt';
import { buildSignedRequest, type SendInput } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, lowerCaseHeaders, verifyRequest } from './support';

const SECRET = 'slack_signing_secret';

function send(overrides: Partial<SendInput> = {}) {
  return buildSignedRequest('slack', { url: URL, secret: SECRET, now: NOW_MS, ...overrides });
}

function boltAccepts(request: ReturnType<typeof send>, secret = SECRET): boolean {
  try {
    verifySlackRequest({ signingSecret: secret, body: request.body.toString('utf8'), headers: lowerCaseHeaders(request.headers) as never, nowMilliseconds: NOW_MS });
    return true;
  } catch {
    return false;
  }
}

describe('send slack', () => {
  test.each(['app_mention', 'url_verification', '/deploy', 'block_actions', 'view_submission', 'ssl_check'])('Bolt\'s verifySlackRequest accepts %s, and refuses another secret', (eventType) => {
    const request = send({ eventType });
    expect(boltAccepts(request)).toBe(true);
    expect(boltAccepts(request, 'other')).toBe(false);
  });

  test('an Events API callback: event_id, team, the inner event of the asked type', () => {
    const request = send({ eventType: 'reaction_added' });
    expect(JSON.parse(request.body.toString('utf8'))).toMatchObject({ type: 'event_callback', event_id: expect.stringMatching(/^Ev[0-9A-Z]{10}$/), team_id: expect.any(String), event: { type: 'reaction_added' } });
    expect(acceptedEvent(verifyRequest('slack', request, { secrets: [SECRET] }))).toMatchObject({ id: request.eventId, type: 'reaction_added', groupKey: 'T0001ACME' });
  });

  test('a slash command is a form with the command and a trigger_id; interactivity is a form with JSON in payload', () => {
    const command = send({ eventType: '/deploy' });
    expect(command.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(command.body.toString('utf8')).toContain('command=%2Fdeploy');
    expect(acceptedEvent(verifyRequest('slack', command, { secrets: [SECRET] }))).toMatchObject({ type: '/deploy', id: command.eventId });
    const action = send({ eventType: 'block_actions' });
    expect(acceptedEvent(verifyRequest('slack', action, { secrets: [SECRET] }))).toMatchObject({ type: 'block_actions', jsonField: 'payload' });
  });

  test('url_verification expects the challenge echoed back', () => {
    const request = send({ eventType: 'url_verification' });
    const { challenge } = JSON.parse(request.body.toString('utf8')) as { challenge: string };
    expect(request.expectedReply).toEqual({ statusCode: 200, body: JSON.stringify({ challenge }) });
  });

  test('reproduces the Slack documentation vector', () => {
    const body = Buffer.from('token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c', 'utf8');
    const request = send({ secret: '8f742231b10e8888abcd99yyyzzz85a5', now: 1_531_420_618_000, body });
    expect(request.headers['X-Slack-Signature']).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
    expect(request).toMatchObject({ eventId: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c', eventType: '/webhook-collect' });
  });
});
