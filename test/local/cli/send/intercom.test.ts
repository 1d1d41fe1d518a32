import { createHmac } from 'node:crypto';
import { buildSignedRequest } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

// Intercom ships no verifier and publishes no vector: the header is checked against the documented formula and our verifier.
const SECRET = 'intercom-client-secret';

describe('send intercom', () => {
  test('a notification_event signed with X-Hub-Signature sha1=HMAC-SHA1(body), grouped by the conversation', () => {
    const request = buildSignedRequest('intercom', { url: URL, secret: SECRET, now: NOW_MS });
    const body = JSON.parse(request.body.toString('utf8')) as { data: { item: { id: string } } };
    expect(body).toMatchObject({ type: 'notification_event', id: expect.stringMatching(/^notif_[0-9a-f-]{36}$/), topic: 'conversation.user.created', data: { item: { type: 'conversation' } } });
    expect(request.headers['X-Hub-Signature']).toBe(`sha1=${createHmac('sha1', SECRET).update(request.body).digest('hex')}`);
    expect(acceptedEvent(verifyRequest('intercom', request, { secrets: [SECRET] }))).toMatchObject({ id: request.eventId, groupKey: body.data.item.id });
  });

  test('ping carries Intercom\'s ping item', () => {
    const request = buildSignedRequest('intercom', { url: URL, secret: SECRET, now: NOW_MS, eventType: 'ping' });
    expect(JSON.parse(request.body.toString('utf8'))).toMatchObject({ topic: 'ping', data: { item: { type: 'ping' } } });
  });
});
