import { createHash, createHmac } from 'node:crypto';
import { LogSeverity, shopifyApi } from '@shopify/shopify-api';
import { ConflictingHeaderError } from '../../../../lambda/verifier/errors';
import { shopifyScheme, type ShopifyOptions } from '../../../../lambda/verifier/schemes/shopify';
import { context, inbound, contentKeyed } from '../../../support/requests';

// Sub-path exports are loaded with require(): TypeScript's node10 resolution would otherwise
// type-check the package's shipped .ts sources instead of its declarations.
require('@shopify/shopify-api/adapters/web-api');
const { getHmac } = require('@shopify/shopify-api/test-helpers') as { getHmac(body: string, apiSecretKey: string): string };

const SECRET = 'shopify_client_secret';
const NOW_MS = 1_700_000_000_000;
const body = JSON.stringify({ id: 820982911946154500, admin_graphql_api_id: 'gid://shopify/Order/820982911946154508', note: 'café ☕' });

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
  test('requiredHeaders is the HMAC header of the configured style, and none when both styles are accepted: the construct makes them required request parameters of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // without it is refused at the gateway (400). API Gateway cannot require one of two names, so `any` requires none.
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
    expect(read({})).toMatchObject({ signedContent: contentKeyed(digest), typesShareContent: true });
    expect(read({ 'X-Shopify-Topic': 'orders/paid', 'X-Shopify-Event-Id': 'fresh' }).signedContent?.key).toBe(digest);
    // Per topic: a fresh ID is the same content, another topic another claim
    const perTopic = { oneEventPerBody: false };
    const created = read({}, perTopic);
    expect(created.typesShareContent).toBeUndefined();
    expect(read({ 'X-Shopify-Event-Id': 'fresh', 'X-Shopify-Webhook-Id': 'fresh' }, perTopic).signedContent?.key).toBe(created.signedContent?.key);
    expect(read({ 'X-Shopify-Topic': 'orders/paid' }, perTopic).signedContent?.key).not.toBe(created.signedContent?.key);
  });

  const digest = createHmac('sha256', SECRET).update(body).digest();
  const EVENTS_IDS = { 'shopify-event-id': 'e-1', 'shopify-webhook-id': 'w-1' };
  test.each<[string, Record<string, string>, ShopifyOptions, string, string]>([
    ['no X-Shopify-Hmac-Sha256 header', {}, {}, 'missing_signature', 'missing X-Shopify-Hmac-Sha256 header'],
    ['an Events-style header when only webhooks are configured', { 'shopify-hmac-sha256': sign(body) }, {}, 'missing_signature', 'missing X-Shopify-Hmac-Sha256 header'],
    ['no shopify-hmac-sha256 header (Events style)', { 'X-Shopify-Hmac-Sha256': sign(body) }, { headerStyle: 'shopify' }, 'missing_signature', 'missing shopify-hmac-sha256 header'],
    // With both styles accepted, the detail names both headers, so the sender knows either would do.
    ['neither header when both styles are accepted', {}, { headerStyle: 'any' }, 'missing_signature', 'missing X-Shopify-Hmac-Sha256 or shopify-hmac-sha256 header'],
    // Valid base64 of the wrong size is malformed, not a mismatch: only a 32-byte digest is an HMAC-SHA256.
    ['the base64 of a digest cut short by one byte', { 'X-Shopify-Hmac-Sha256': digest.subarray(0, 31).toString('base64') }, {}, 'malformed_signature', 'signature is not the base64 of a SHA-256 digest'],
    ['the base64 of a digest one byte too long', { 'X-Shopify-Hmac-Sha256': Buffer.concat([digest, Buffer.from([0])]).toString('base64') }, {}, 'malformed_signature', 'signature is not the base64 of a SHA-256 digest'],
    ['a hex digest', { 'X-Shopify-Hmac-Sha256': digest.toString('hex') }, {}, 'malformed_signature', 'signature is not the base64 of a SHA-256 digest'],
    ['an empty header', { 'X-Shopify-Hmac-Sha256': '' }, {}, 'malformed_signature', 'signature is not the base64 of a SHA-256 digest'],
    ['both styles present and both malformed', { 'X-Shopify-Hmac-Sha256': 'x', 'shopify-hmac-sha256': digest.toString('hex') }, { headerStyle: 'any' }, 'malformed_signature', 'signature is not the base64 of a SHA-256 digest'],
    ['a digest made with another secret', { 'X-Shopify-Hmac-Sha256': sign(body, 'other') }, {}, 'bad_signature', 'signature does not match'],
    // A malformed header beside a well-formed one is skipped, but the well-formed one must still match.
    ['one style malformed, the other signed with another secret', { 'X-Shopify-Hmac-Sha256': 'x', 'shopify-hmac-sha256': sign(body, 'other') }, { headerStyle: 'any' }, 'bad_signature', 'signature does not match'],
  ])('%s is a 401 whose detail names the problem', (_case, headers, options, code, detail) => {
    expect(verify(body, { 'X-Shopify-Event-Id': 'e-1', ...EVENTS_IDS, ...headers }, options)).toEqual({ ok: false, status: 401, code, detail });
  });

  test.each<[string, string | Buffer, Record<string, string>, ShopifyOptions, string, string]>([
    ['a webhook without event or webhook ID', body, { 'X-Shopify-Hmac-Sha256': sign(body) }, {}, 'missing_event_id', 'missing X-Shopify-Event-Id and X-Shopify-Webhook-Id headers'],
    // Empty ID headers count as absent: an empty string is no idempotency key.
    ['a webhook whose ID headers are empty', body, { 'X-Shopify-Hmac-Sha256': sign(body), 'X-Shopify-Event-Id': '', 'X-Shopify-Webhook-Id': '' }, {}, 'missing_event_id', 'missing X-Shopify-Event-Id and X-Shopify-Webhook-Id headers'],
    ['an Events delivery without event or webhook ID', body, { 'shopify-hmac-sha256': sign(body) }, { headerStyle: 'shopify' }, 'missing_event_id', 'missing shopify-event-id and shopify-webhook-id headers'],
    // Under `any`, the IDs are read in the style of the signature header that came.
    ['an Events delivery without IDs when both styles are accepted', body, { 'shopify-hmac-sha256': sign(body), 'X-Shopify-Event-Id': 'e-1' }, { headerStyle: 'any' }, 'missing_event_id', 'missing shopify-event-id and shopify-webhook-id headers'],
    ['a signed XML body', '<order/>', { 'X-Shopify-Hmac-Sha256': sign('<order/>'), 'X-Shopify-Event-Id': 'e-1' }, {}, 'malformed_body', 'body is not valid JSON'],
    ['a signed body that is not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), { 'X-Shopify-Hmac-Sha256': sign(Buffer.from([0x7b, 0xff, 0x7d])), 'X-Shopify-Event-Id': 'e-1' }, {}, 'malformed_body', 'body is not valid UTF-8'],
  ])('%s is a 400 whose detail names the problem', (_case, payload, headers, options, code, detail) => {
    expect(verify(payload, headers, options)).toEqual({ ok: false, status: 400, code, detail });
  });

  test('empty event ID, topic and shop headers count as absent: the webhook ID is the ID, and there is no type or group', () => {
    const headers = { ...webhookHeaders(sign(body)), 'X-Shopify-Event-Id': '', 'X-Shopify-Topic': '', 'X-Shopify-Shop-Domain': '' };
    const verdict = verify(body, headers);
    expect(verdict).toMatchObject({ ok: true, event: { id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' } });
    expect(verdict.ok && verdict.event.type).toBeUndefined();
    expect(verdict.ok && verdict.event.groupKey).toBeUndefined();
  });

  test('signedContent is exactly the body digest by default, and the digest of the JSON topic, a newline and the body per topic', () => {
    const sha = (...parts: string[]) => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest('hex');
    const headers = webhookHeaders(sign(body));
    const event = (extra: Record<string, string>, options: ShopifyOptions) => {
      const verdict = verify(body, { ...headers, ...extra }, options);
      if (!verdict.ok) throw new Error(verdict.detail);
      return verdict.event;
    };
    expect(event({}, { oneEventPerBody: true })).toMatchObject({ signedContent: contentKeyed(sha(body)), typesShareContent: true });
    expect(event({}, { oneEventPerBody: false }).signedContent?.key).toBe(sha('"orders/create"\n', body));
    // Without a topic the prefix is JSON null, distinct from any topic string (which JSON always quotes).
    expect(event({ 'X-Shopify-Topic': '' }, { oneEventPerBody: false }).signedContent?.key).toBe(sha('null\n', body));
    const { 'X-Shopify-Topic': _topic, ...noTopic } = headers;
    const verdict = verify(body, noTopic, { oneEventPerBody: false });
    expect(verdict).toMatchObject({ ok: true, event: { signedContent: contentKeyed(sha('null\n', body)) } });
    expect(verdict.ok && 'typesShareContent' in verdict.event).toBe(false);
  });

  test('Events deliveries read the ID, topic and shop from the un-prefixed headers, the webhook ID when the event ID is absent', () => {
    const { 'shopify-event-id': _eventId, ...headers } = eventsHeaders(sign(body));
    expect(verify(body, { ...headers, 'X-Shopify-Event-Id': 'ignored' }, { headerStyle: 'shopify' })).toMatchObject({
      ok: true, event: { id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043', type: 'orders/create', groupKey: 'shop.myshopify.com', signedContent: contentKeyed(createHash('sha256').update(body).digest('hex')) },
    });
  });

  test('header names are matched case-insensitively (HTTP/2 senders and proxies lower-case them)', () => {
    const lower = Object.fromEntries(Object.entries(webhookHeaders(sign(body))).map(([name, value]) => [name.toLowerCase(), value]));
    expect(verify(body, lower)).toMatchObject({ ok: true, event: { id: '98880550-7158-44d4-b7cd-2c97c8a091b5', type: 'orders/create', groupKey: 'shop.myshopify.com' } });
  });

  test('the HMAC header sent twice: the same value verifies, two different values are refused before either is tried', () => {
    const headers = webhookHeaders(sign(body));
    const twice = (values: string[]) => shopifyScheme.verify(inbound({ body, headers: { ...headers, 'X-Shopify-Hmac-Sha256': values } }), context([SECRET], NOW_MS), {});
    expect(twice([sign(body), sign(body)])).toMatchObject({ ok: true });
    // The handler turns this into a 400 conflicting_header: which copy was meant is unknowable.
    expect(() => twice([sign(body, 'other'), sign(body)])).toThrow(ConflictingHeaderError);
  });
});
