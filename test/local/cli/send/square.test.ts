import { WebhooksHelper } from 'square';
import { buildSignedRequest } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

const KEY = 'square-signature-key';

function sdkAccepts(request: ReturnType<typeof buildSignedRequest>, notificationUrl: string, signatureKey = KEY): Promise<boolean> {
  return WebhooksHelper.verifySignature({ requestBody: request.body.toString('utf8'), signatureHeader: request.headers['x-square-hmacsha256-signature'], signatureKey, notificationUrl });
}

describe('send square', () => {
  test('WebhooksHelper.verifySignature accepts it for the notification URL, and refuses another key or a trailing slash', async () => {
    const request = buildSignedRequest('square', { url: URL, secret: KEY, now: NOW_MS });
    await expect(sdkAccepts(request, URL)).resolves.toBe(true);
    await expect(sdkAccepts(request, URL, 'other')).resolves.toBe(false);
    await expect(sdkAccepts(request, `${URL}/`)).resolves.toBe(false);
  });

  test('signedUrl: the registered notification URL is signed while the request goes elsewhere', async () => {
    const registered = 'https://hooks.example.com/prod/square';
    const request = buildSignedRequest('square', { url: 'http://localhost:3000/square', signedUrl: registered, secret: KEY, now: NOW_MS });
    await expect(sdkAccepts(request, registered)).resolves.toBe(true);
    expect(acceptedEvent(verifyRequest('square', request, { secrets: [KEY], schemeOptions: { notificationUrl: registered } })).id).toBe(request.eventId);
    expect(verifyRequest('square', request, { secrets: [KEY] })).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('the notification is Square\'s: merchant, type, event_id, the object under data', () => {
    const request = buildSignedRequest('square', { url: URL, secret: KEY, now: NOW_MS });
    expect(JSON.parse(request.body.toString('utf8'))).toMatchObject({ merchant_id: expect.any(String), type: 'payment.updated', event_id: request.eventId, data: { type: 'payment', object: { payment: { status: 'COMPLETED' } } } });
  });

  test('reproduces Square\'s documented vector', () => {
    const request = buildSignedRequest('square', { url: 'https://example.com/webhook', secret: 'asdf1234', body: Buffer.from('{"hello":"world"}', 'utf8') });
    expect(request.headers['x-square-hmacsha256-signature']).toBe('2kRE5qRU2tR+tBGlDwMEw2avJ7QM4ikPYD/PJ3bd9Og=');
  });
});
