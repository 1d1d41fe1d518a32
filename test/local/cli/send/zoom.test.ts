import { createHash } from 'node:crypto';
import { buildSignedRequest, handshake } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

// Zoom publishes no standalone verifier (only the Rivet receivers, not installed): our verifier and the reference vector are the checks.
const SECRET = 'zoom_webhook_secret_token';

describe('send zoom', () => {
  test('a meeting event: the endpoint derives the ID from event, event_ts and the body digest, as announced', () => {
    const request = buildSignedRequest('zoom', { url: URL, secret: SECRET, now: NOW_MS, eventType: 'meeting.participant_joined' });
    const body = JSON.parse(request.body.toString('utf8')) as { event_ts: number; payload: { object: { id: string } } };
    expect(body).toMatchObject({ event: 'meeting.participant_joined', event_ts: NOW_MS, payload: { account_id: expect.any(String), object: { participant: expect.any(Object) } } });
    expect(request.eventId).toBe(`meeting.participant_joined:${NOW_MS}:${createHash('sha256').update(request.body).digest('hex').slice(0, 32)}`);
    expect(request.headers).toMatchObject({ 'x-zm-request-timestamp': '1700000000', 'x-zm-signature': expect.stringMatching(/^v0=[0-9a-f]{64}$/) });
    expect(acceptedEvent(verifyRequest('zoom', request, { secrets: [SECRET] }))).toMatchObject({ id: request.eventId, groupKey: body.payload.object.id });
  });

  test('endpoint.url_validation: the expected reply reproduces the reference encryptedToken for a given plainToken', () => {
    const body = Buffer.from(JSON.stringify({ payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' }, event_ts: NOW_MS, event: 'endpoint.url_validation' }), 'utf8');
    const request = buildSignedRequest('zoom', { url: URL, secret: SECRET, now: NOW_MS, body });
    expect(JSON.parse(request.expectedReply?.body ?? '{}')).toEqual({ plainToken: 'qgg8vlvZRS6UYooatFL8Aw', encryptedToken: 'b69d7951c802f2f5b3445316790e9c937e8e201b2d8a5583d2fbaaafbb2e432b' });
    const verdict = verifyRequest('zoom', request, { secrets: [SECRET] });
    expect(verdict).toMatchObject({ ok: true, handshake: { statusCode: 200, body: request.expectedReply?.body } });
  });

  test('a fresh handshake carries a new 22-character plainToken', () => {
    const [one, two] = [handshake('zoom', { url: URL, secret: SECRET }), handshake('zoom', { url: URL, secret: SECRET })];
    const token = (request: typeof one) => (JSON.parse(request.body.toString('utf8')) as { payload: { plainToken: string } }).payload.plainToken;
    expect(token(one)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(token(one)).not.toBe(token(two));
  });
});
