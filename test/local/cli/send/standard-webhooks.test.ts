import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { buildSignedRequest } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, atClock, verifyRequest } from './support';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('send standard-webhooks and svix', () => {
  test('standardwebhooks Webhook.verify accepts a standard-webhooks request, and refuses another secret', () => {
    const request = buildSignedRequest('standard-webhooks', { url: URL, secret: SECRET, now: NOW_MS });
    expect(Object.keys(request.headers)).toEqual(expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']));
    const payload = atClock(NOW_MS, () => new StandardWebhook(SECRET).verify(request.body.toString('utf8'), request.headers));
    expect(payload).toMatchObject({ type: 'invoice.paid', data: expect.any(Object) });
    expect(() => atClock(NOW_MS, () => new StandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(request.body.toString('utf8'), request.headers))).toThrow();
  });

  test('svix Webhook.verify accepts a svix request with svix-* headers', () => {
    const request = buildSignedRequest('svix', { url: URL, secret: SECRET, now: NOW_MS, eventType: 'user.created' });
    expect(request.headers['svix-id']).toMatch(/^msg_[0-9A-Za-z]{27}$/);
    const payload = atClock(NOW_MS, () => new SvixWebhook(SECRET).verify(request.body.toString('utf8'), request.headers));
    expect(payload).toMatchObject({ type: 'user.created' });
  });

  test('the header family follows headerPrefix, as the endpoint\'s `headers` prop sets it', () => {
    const svixFamily = buildSignedRequest('standard-webhooks', { url: URL, secret: SECRET, now: NOW_MS, options: { headerPrefix: 'svix' } });
    expect(svixFamily.headers['svix-signature']).toMatch(/^v1,/);
    expect(acceptedEvent(verifyRequest('standard-webhooks', svixFamily, { secrets: [SECRET], schemeOptions: { headerPrefix: 'either' } })).id).toBe(svixFamily.eventId);
    const webhookFamily = buildSignedRequest('svix', { url: URL, secret: SECRET, now: NOW_MS, options: { headerPrefix: 'webhook' } });
    expect(acceptedEvent(verifyRequest('svix', webhookFamily, { secrets: [SECRET], schemeOptions: { headerPrefix: 'webhook' } })).id).toBe(webhookFamily.eventId);
    // `either` at the endpoint: each scheme sends its own family.
    expect(buildSignedRequest('svix', { url: URL, secret: SECRET, options: { headerPrefix: 'either' } }).headers['svix-id']).toBeDefined();
  });

  test('reproduces the Standard Webhooks known-answer vector, which Svix also produces', () => {
    const input = { url: URL, secret: SECRET, now: 1_614_265_330_000, eventId: 'msg_p5jXN8AQM9LWM0D4loKWxJek', body: Buffer.from('{"test": 2432232314}', 'utf8') };
    expect(buildSignedRequest('standard-webhooks', input).headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(buildSignedRequest('svix', input).headers['svix-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  test('a secret that is not whsec_<base64> is an input error', () => {
    expect(() => buildSignedRequest('svix', { url: URL, secret: 'whsec_not base64!' })).toThrow('a Standard Webhooks secret is whsec_ followed by base64');
  });
});
