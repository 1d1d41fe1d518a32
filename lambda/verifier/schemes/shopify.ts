import { ERROR_CODES } from '../../shared/contract';
import { decodeBase64, macMatches, SignedContent } from '../crypto';
import { isRejection, reject, type InboundRequest, type SignatureScheme } from './types';
import { parseJsonBody } from '../payload';

/** The header names of one Shopify delivery style. */
interface HeaderNames {
  readonly hmac: string;
  readonly eventId: string;
  readonly webhookId: string;
  readonly topic: string;
  readonly shop: string;
}

/** Classic webhooks. */
const WEBHOOKS: HeaderNames = {
  hmac: 'X-Shopify-Hmac-Sha256',
  eventId: 'X-Shopify-Event-Id',
  webhookId: 'X-Shopify-Webhook-Id',
  topic: 'X-Shopify-Topic',
  shop: 'X-Shopify-Shop-Domain',
};

/** "Events" deliveries (developer preview): the same HMAC under names without the `x-` prefix. */
const EVENTS: HeaderNames = {
  hmac: 'shopify-hmac-sha256',
  eventId: 'shopify-event-id',
  webhookId: 'shopify-webhook-id',
  topic: 'shopify-topic',
  shop: 'shopify-shop-domain',
};

export interface ShopifyOptions {
  /**
   * Which header names the deliveries use: `x-shopify` for webhooks (`X-Shopify-Hmac-Sha256`, …),
   * `shopify` for Events deliveries (`shopify-hmac-sha256`, …), `any` to accept both. Absent means
   * `x-shopify`.
   */
  readonly headerStyle?: 'x-shopify' | 'shopify' | 'any';
  /**
   * What one signed body can become. The topic header is not signed, and Shopify does send one body
   * under two topics (an order's `orders/create` and `orders/updated` can be byte for byte equal).
   * - `true`: one event per body, under the first topic it arrived with; the same bytes under another
   *   topic are answered as a duplicate (200) and counted in `ContentReplays`, so no captured body
   *   can be re-routed (`orders/create` replayed as `orders/paid`).
   * - `false`: one event per (body, topic): each topic's copy of a body is delivered, but someone who
   *   captured a signed body can deliver it under ANY topic string they choose (each once, with an
   *   event ID they choose) within `idempotencyRetention`. Only for processors that never act on the
   *   topic alone.
   * Absent means `true`.
   */
  readonly oneEventPerBody?: boolean;
}

function stylesFor(options: ShopifyOptions): readonly HeaderNames[] {
  if (options.headerStyle === 'shopify') return [EVENTS];
  return options.headerStyle === 'any' ? [WEBHOOKS, EVENTS] : [WEBHOOKS];
}

/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64>`, HMAC-SHA256 of the raw body with the app's client
 * secret. Nothing else is signed: no timestamp, and none of the headers. The event ID is
 * `X-Shopify-Event-Id` (shared by every delivery of one event, retries included), else
 * `X-Shopify-Webhook-Id`, and the type the topic (`orders/create`): all unsigned. The event is
 * therefore claimed under the digest of the body (or of the topic and body, see
 * {@link ShopifyOptions.oneEventPerBody}), bound to the first ID and topic it arrived with: a replay
 * under a fresh ID or another topic enqueues nothing. With no signed timestamp, a body replayed after `idempotencyRetention`
 * is a new event.
 *
 * Default message group: the shop (`X-Shopify-Shop-Domain`), so one store's events stay in order.
 */
export const shopifyScheme: SignatureScheme<ShopifyOptions> = {
  id: 'shopify',
  // API Gateway can only require one name, so `any` requires none and leaves the check to verify().
  requiredHeaders: (options) => (options.headerStyle === 'any' ? [] : [stylesFor(options)[0].hmac]),
  verify(request, context, options) {
    const styles = stylesFor(options).filter((style) => request.header(style.hmac) !== undefined);
    if (styles.length === 0) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${stylesFor(options).map((style) => style.hmac).join(' or ')} header`);

    const candidates = styles
      .map((style) => decodeBase64(request.header(style.hmac) ?? ''))
      .filter((digest): digest is Buffer => digest?.length === 32);
    if (candidates.length === 0) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, 'signature is not the base64 of a SHA-256 digest');

    if (!macMatches('sha256', context.secrets, candidates, request.body)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');

    const style = styles[0];
    const id = headerValue(request, style.eventId) ?? headerValue(request, style.webhookId);
    if (id === undefined) return reject(400, ERROR_CODES.MISSING_EVENT_ID, `missing ${style.eventId} and ${style.webhookId} headers`);
    // XML-format subscriptions are refused here: routing and grouping need a JSON body.
    const parsed = parseJsonBody(request.body);
    if (isRejection(parsed)) return parsed;
    const topic = headerValue(request, style.topic);
    const oneEventPerBody = options.oneEventPerBody !== false;
    return {
      ok: true,
      event: {
        id,
        type: topic,
        payload: parsed.value,
        groupKey: headerValue(request, style.shop),
        // The topic is prefixed as JSON: no topic and body can be re-split into another pair.
        signedContent: oneEventPerBody ? SignedContent.of(request.body) : SignedContent.of(`${JSON.stringify(topic ?? null)}\n`, request.body),
        ...(oneEventPerBody ? { typesShareContent: true } : {}),
      },
    };
  },
};

function headerValue(request: InboundRequest, name: string): string | undefined {
  return request.header(name) || undefined;
}
