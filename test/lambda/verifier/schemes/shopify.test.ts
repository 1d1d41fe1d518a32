import { createHash, createHmac } from 'node:crypto';
import { LogSeverity, shopifyApi } from '@shopify/shopify-api';
import { shopifyScheme, type ShopifyOptions } from '../../../../lambda/verifier/schemes/shopify';
import { context, inbound } from '../../../support/requests';

// Sub-path exports are loaded with require(): TypeScript's node10 resolution would otherwise
// type-check the package's shipped .ts sources instead of its declarations.
require('@shopify/shopify-api/adapters/web-api');
const { getHmac } = require('@shopify/shopify-api/test-helpers') as { getHmac(body: string, apiSecretKey: string): string };

const SECRET = 'shopify_client_secret';
const NOW_MS = 1_700_000_000_000;
const body = JSON.stringify({ id: 820982911946154508, admin_graphql_api_id: 'gid://shopify/Order/820982911946154508', note: 'café ☕' });

/** Signs by hand, as Shopify does. */
function sign(payload: string | Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(payload).digest('base64');
}

/** Headers of a classic webhook delivery. */
function webhookHeaders(signature: string): Record<string, string> {
  return {
    'X-Shopify-Hmac-Sha256': signature,
    'X-Shopify-Topic': 'orders/create',
    'X-Shopify-Shop-Domain': 'shop.myshopify.com',
    'X-Shopify-API-Version': '2025-07',
    'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    'X-Shopify-Event-Id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
    'X-Shopify-Triggered-At': '2023-11-14T22:13:20.000Z',
  };
}

/** Headers of an Events delivery: the same names without the `x-` prefix. */
function eventsHeaders(signature: string): Record<string, string> {
  return Object.fromEntries(Object.entries(webhookHeaders(signature)).map(([name, value]) => [name.replace(/^X-/, '').toLowerCase(), value]));
}

function verify(payload: string | Buffer, headers: Record<string, string>, options: ShopifyOptions = {}, secrets = [SECRET]) {
  return shopifyScheme.verify(inbound({ body: payload, headers }), context(secrets, NOW_MS), options);
}

const api = shopifyApi({
  apiKey: 'key', apiSecretKey: SECRET, scopes: [], hostName: 'app.example.com', apiVersion: '2025-07' as never, isEmbeddedApp: false,
  logger: { level: LogSeverity.Error, log: () => undefined },
});

async function sdkValidates(payload: string, headers: Record<string, string>): Promise<boolean> {
  const rawRequest = new Request('https://app.example.com/webhook', { method: 'POST', headers, body: payload });
  return (await api.webhooks.validate({ rawBody: payload, rawRequest })).valid;
}

describe('shopify scheme', () => {
  test('requires the HMAC header of the configured style, and none when both styles are accepted', () => {
    expect(shopifyScheme.requiredHeaders({})).toEqual(['X-Shopify-Hmac-Sha256']);
    expect(shopifyScheme.requiredHeaders({ headerStyle: 'x-shopify' })).toEqual(['X-Shopify-Hmac-Sha256']);
    expect(shopifyScheme.requiredHeaders({ headerStyle: 'shopify' })).toEqual(['shopify-hmac-sha256']);
    expect(shopifyScheme.requiredHeaders({ headerStyle: 'any' })).toEqual([]);
  });

  test('accepts a webhook signed by the SDK test helper; id is the event ID, type the topic, group the shop', () => {
    expect(getHmac(body, SECRET)).toBe(sign(body));
    expect(verify(body, webhookHeaders(getHmac(body, SECRET)))).toMatchObject({
      ok: true,
      event: { id: '98880550-7158-44d4-b7cd-2c97c8a091b5', type: 'orders/create', groupKey: 'shop.myshopify.com', payload: { note: 'café ☕' } },
    });
  });

  test('what our tests sign by hand is accepted by the SDK validator, in both header styles', async () => {
    await expect(sdkValidates(body, webhookHeaders(sign(body)))).resolves.toBe(true);
    await expect(sdkValidates(body, eventsHeaders(sign(body)))).resolves.toBe(true);
    await expect(sdkValidates(body, webhookHeaders(sign(body, 'wrong')))).resolves.toBe(false);
  });

  test('Events deliveries (un-prefixed headers) are accepted when configured, refused by default', () => {
    const headers = eventsHeaders(sign(body));
    const expected = { ok: true, event: { id: '98880550-7158-44d4-b7cd-2c97c8a091b5', type: 'orders/create', groupKey: 'shop.myshopify.com' } };
    expect(verify(body, headers, { headerStyle: 'shopify' })).toMatchObject(expected);
    expect(verify(body, headers, { headerStyle: 'any' })).toMatchObject(expected);
    expect(verify(body, webhookHeaders(sign(body)), { headerStyle: 'any' })).toMatchObject(expected);
    expect(verify(body, headers)).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
    expect(verify(body, webhookHeaders(sign(body)), { headerStyle: 'shopify' })).toMatchObject({ ok: false, code: 'missing_signature' });
  });

  test('falls back to the webhook ID without an event ID; neither is a 400', () => {
    const { 'X-Shopify-Event-Id': _eventId, ...withoutEventId } = webhookHeaders(sign(body));
    expect(verify(body, withoutEventId)).toMatchObject({ ok: true, event: { id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' } });
    const { 'X-Shopify-Webhook-Id': _webhookId, ...withoutIds } = withoutEventId;
    expect(verify(body, withoutIds)).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
  });

  test('rejects a tampered body, a wrong secret and a missing header', () => {
    expect(verify(body.replace('café', 'cafe'), webhookHeaders(sign(body)))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, webhookHeaders(sign(body, 'other')))).toMatchObject({ ok: false, code: 'bad_signature' });
    const { 'X-Shopify-Hmac-Sha256': _hmac, ...unsigned } = webhookHeaders(sign(body));
    expect(verify(body, unsigned)).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
  });

  test('refuses malformed signatures', () => {
    const good = sign(body);
    for (const bad of ['', 'not base64!', good.slice(0, -4), createHmac('sha256', SECRET).update(body).digest('hex'), `${good},${good}`]) {
      expect(verify(body, webhookHeaders(bad))).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
  });

  test('accepts any of several active secrets, and with both styles present any well-formed signature', () => {
    expect(verify(body, webhookHeaders(sign(body, 'old_secret')), {}, [SECRET, 'old_secret'])).toMatchObject({ ok: true });
    const both = { ...webhookHeaders('garbage'), 'shopify-hmac-sha256': sign(body) };
    expect(verify(body, both, { headerStyle: 'any' })).toMatchObject({ ok: true });
  });

  test('a correctly signed body that is not JSON (e.g. an XML subscription) is a 400', () => {
    const xml = '<?xml version="1.0"?><order><id>1</id></order>';
    expect(verify(xml, webhookHeaders(sign(xml)))).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
  });

  test('the topic and IDs are unsigned: by default the claim key is the body alone; with oneEventPerBody false it binds the body to its topic', () => {
    const headers = webhookHeaders(sign(body));
    const read = (extra: Record<string, string>, options: ShopifyOptions = {}) => {
      const verdict = shopifyScheme.verify(inbound({ body, headers: { ...headers, ...extra } }), context([SECRET], NOW_MS), options);
      if (!verdict.ok) throw new Error(verdict.detail);
      return verdict.event;
    };
    const digest = createHash('sha256').update(body).digest('hex');
    // Default: one event per body, whatever the topic; a changed topic is a duplicate, not a conflict
    expect(read({})).toMatchObject({ signedContent: digest, typesShareContent: true });
    expect(read({ 'X-Shopify-Topic': 'orders/paid', 'X-Shopify-Event-Id': 'fresh' }).signedContent).toBe(digest);
    // Per topic: a fresh ID is the same content, another topic another claim
    const perTopic = { oneEventPerBody: false };
    const created = read({}, perTopic);
    expect(created.typesShareContent).toBeUndefined();
    expect(read({ 'X-Shopify-Event-Id': 'fresh', 'X-Shopify-Webhook-Id': 'fresh' }, perTopic).signedContent).toBe(created.signedContent);
    expect(read({ 'X-Shopify-Topic': 'orders/paid' }, perTopic).signedContent).not.toBe(created.signedContent);
  });
});
