import Stripe from 'stripe';
import { buildSignedRequest } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

const SECRET = 'whsec_test_secret';

describe('send stripe', () => {
  test('stripe.webhooks.constructEvent accepts the request and reads the same event', () => {
    const request = buildSignedRequest('stripe', { url: URL, secret: SECRET, now: NOW_MS });
    const event = Stripe.webhooks.constructEvent(request.body, request.headers['Stripe-Signature'], SECRET, 300, undefined, NOW_MS);
    expect({ id: event.id, type: event.type }).toEqual({ id: request.eventId, type: 'payment_intent.succeeded' });
    expect(() => Stripe.webhooks.constructEvent(request.body, request.headers['Stripe-Signature'], 'whsec_other', 300, undefined, NOW_MS)).toThrow();
  });

  test('the event looks like Stripe\'s: an evt_ event object, pretty-printed, with the payment intent in data.object', () => {
    const request = buildSignedRequest('stripe', { url: URL, secret: SECRET, now: NOW_MS });
    expect(request.body.toString('utf8')).toMatch(/^\{\n {2}"id": "evt_[A-Za-z0-9]{24}",\n {2}"object": "event",/);
    expect(JSON.parse(request.body.toString('utf8'))).toMatchObject({
      object: 'event', api_version: expect.stringMatching(/^\d{4}-\d{2}-\d{2}/), created: NOW_MS / 1000, livemode: false, type: 'payment_intent.succeeded',
      data: { object: { id: expect.stringMatching(/^pi_/), object: 'payment_intent', status: 'succeeded', customer: expect.stringMatching(/^cus_/) } },
    });
    expect(request.headers['Stripe-Signature']).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
  });

  test('reproduces the reference vector (a given body, signed at its time)', () => {
    const body = Buffer.from(JSON.stringify({ id: 'evt_test_webhook', object: 'event' }, null, 2), 'utf8');
    const request = buildSignedRequest('stripe', { url: URL, secret: SECRET, now: 1_700_000_000_000, body });
    expect(request.headers['Stripe-Signature']).toBe('t=1700000000,v1=4f1cd7feda9826e746b7d482c4badebb657398df1099e1046364f6196a230150');
    expect(request.eventId).toBe('evt_test_webhook');
  });

  test('Stripe checks only the age of a timestamp; our verifier refuses a future one as well', () => {
    const request = buildSignedRequest('stripe', { url: URL, secret: SECRET, now: NOW_MS, timestampOffsetSeconds: 3600 });
    expect(() => Stripe.webhooks.constructEvent(request.body, request.headers['Stripe-Signature'], SECRET, 300, undefined, NOW_MS)).not.toThrow();
    expect(verifyRequest('stripe', request, { secrets: [SECRET] })).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    expect(acceptedEvent(verifyRequest('stripe', request, { secrets: [SECRET], nowMs: NOW_MS + 3600_000 })).id).toBe(request.eventId);
  });
});
