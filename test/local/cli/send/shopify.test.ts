import { LogSeverity, shopifyApi } from '@shopify/shopify-api';
import { buildSignedRequest, type SendInput } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

// Sub-path exports are loaded with require(), as in the scheme's own test.
require('@shopify/shopify-api/adapters/web-api');

const SECRET = 'shopify_client_secret';

const api = shopifyApi({
  apiKey: 'key', apiSecretKey: SECRET, scopes: [], hostName: 'app.example.com', apiVersion: '2025-07' as never, isEmbeddedApp: false,
  logger: { level: LogSeverity.Error, log: () => undefined },
});

function send(overrides: Partial<SendInput> = {}) {
  return buildSignedRequest('shopify', { url: URL, secret: SECRET, now: NOW_MS, ...overrides });
}

async function sdkValidation(request: ReturnType<typeof send>) {
  const body = request.body.toString('utf8');
  return api.webhooks.validate({ rawBody: body, rawRequest: new Request(URL, { method: 'POST', headers: request.headers, body }) });
}

describe('send shopify', () => {
  test('shopify.webhooks.validate accepts it and reads the topic, shop, webhook and event IDs from our headers', async () => {
    const request = send({ eventType: 'orders/paid' });
    await expect(sdkValidation(request)).resolves.toMatchObject({
      valid: true, topic: 'ORDERS_PAID', domain: 'acme-test.myshopify.com', apiVersion: '2025-07', webhookId: request.headers['X-Shopify-Webhook-Id'], eventId: request.eventId,
    });
    await expect(sdkValidation(send({ secret: 'other' }))).resolves.toMatchObject({ valid: false });
  });

  test('Events deliveries: the same headers without the X- prefix, which the SDK and our verifier accept', async () => {
    const request = send({ options: { headerStyle: 'shopify' } });
    expect(Object.keys(request.headers)).toEqual(expect.arrayContaining(['shopify-hmac-sha256', 'shopify-topic', 'shopify-event-id', 'shopify-triggered-at']));
    await expect(sdkValidation(request)).resolves.toMatchObject({ valid: true });
    expect(acceptedEvent(verifyRequest('shopify', request, { secrets: [SECRET], schemeOptions: { headerStyle: 'shopify' } }))).toMatchObject({ id: request.eventId, type: 'orders/create' });
  });

  test('an order looks like Shopify\'s and is grouped by shop', () => {
    const request = send();
    expect(JSON.parse(request.body.toString('utf8'))).toMatchObject({ id: expect.any(Number), admin_graphql_api_id: expect.stringMatching(/^gid:\/\/shopify\/Order\/\d+$/), line_items: [expect.any(Object)] });
    expect(request.headers['X-Shopify-Triggered-At']).toBe('2023-11-14T22:13:20.000Z');
    expect(acceptedEvent(verifyRequest('shopify', request, { secrets: [SECRET] })).groupKey).toBe('acme-test.myshopify.com');
  });
});
