import { Paddle } from '@paddle/paddle-node-sdk';
import { buildSignedRequest } from '../../../../local/cli/send';
import { URL, acceptedEvent, verifyRequest } from './support';

const SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI';
const paddle = new Paddle('pdl_sdbx_apikey_not_used_offline');

describe('send paddle', () => {
  // The SDK reads the real clock and refuses a timestamp more than 5 s old (it has no bound on the
  // future side): signed a minute ahead, a stalled machine cannot turn this into a clock failure.
  test('paddle.webhooks.isSignatureValid accepts it, and refuses another secret', async () => {
    const request = buildSignedRequest('paddle', { url: URL, secret: SECRET, now: Date.now() + 60_000 });
    await expect(paddle.webhooks.isSignatureValid(request.body.toString('utf8'), SECRET, request.headers['Paddle-Signature'])).resolves.toBe(true);
    await expect(paddle.webhooks.isSignatureValid(request.body.toString('utf8'), 'pdl_ntfset_other', request.headers['Paddle-Signature'])).resolves.toBe(false);
  });

  test('a stale request is refused by the SDK as well as by our verifier', async () => {
    const request = buildSignedRequest('paddle', { url: URL, secret: SECRET, timestampOffsetSeconds: -600 });
    await expect(paddle.webhooks.isSignatureValid(request.body.toString('utf8'), SECRET, request.headers['Paddle-Signature'])).resolves.toBe(false);
    expect(verifyRequest('paddle', request, { secrets: [SECRET], nowMs: Date.now() })).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
  });

  test('the envelope is Paddle\'s: evt_ and ntf_ IDs, the entity in data, grouped by customer', () => {
    const request = buildSignedRequest('paddle', { url: URL, secret: SECRET, eventType: 'subscription.created' });
    const body = JSON.parse(request.body.toString('utf8')) as { data: { customer_id: string } };
    expect(body).toMatchObject({ event_id: expect.stringMatching(/^evt_[0-9a-z]{26}$/), notification_id: expect.stringMatching(/^ntf_/), event_type: 'subscription.created', data: { id: expect.stringMatching(/^sub_/) } });
    expect(acceptedEvent(verifyRequest('paddle', request, { secrets: [SECRET], nowMs: Date.now() })).groupKey).toBe(body.data.customer_id);
  });
});
