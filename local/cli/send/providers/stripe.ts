import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import type { SigningTime } from '../support/clock';
import { describeRequest, offsetNote } from '../support/describe';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac } from '../support/mac';
import { BASE62, type Random } from '../support/random';

/** The API version the events are rendered in (an account's pinned version; any recent one will do for a test). */
const API_VERSION = '2024-06-20';

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 over `${t}.${body}` keyed with the
 * whole `whsec_…` string (not decoded). The body is an `event` object, pretty-printed as Stripe sends it.
 */
export const stripeSender: ProviderSender = {
  id: 'stripe',
  name: 'Stripe',
  defaultEventType: 'payment_intent.succeeded',
  exampleEventTypes: ['payment_intent.succeeded', 'payment_intent.payment_failed', 'charge.succeeded', 'checkout.session.completed', 'customer.created', 'customer.subscription.updated', 'invoice.paid'],
  signsTimestamp: () => true,
  build(context: BuildContext): BuiltRequest {
    const body = context.input.body ?? jsonBytes(stripeEvent(context), 2);
    const t = String(context.at.seconds);
    const v1 = hmac('sha256', context.input.secret, `${t}.`, body).toString('hex');
    // Read back from the bytes sent, so a user-given body reports its own ID and type.
    const event = parseJson(body);
    const eventId = readField(event, 'id');
    const eventType = readField(event, 'type');
    return {
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'Cache-Control': 'no-cache',
        Accept: '*/*; q=0.5, application/xml',
        'Stripe-Signature': `t=${t},v1=${v1}`,
      },
      body,
      eventId,
      eventType,
      description: describeRequest('Stripe', eventType, eventId, `Stripe-Signature t=${t}, v1 = HMAC-SHA256 over "t.body"${offsetNote(context)}`),
    };
  },
};

function stripeEvent({ input, eventType, random, at }: BuildContext): Record<string, unknown> {
  return {
    id: input.eventId ?? stripeId('evt', random),
    object: 'event',
    api_version: API_VERSION,
    created: at.seconds,
    data: { object: dataObject(eventType, random, at) },
    livemode: false,
    pending_webhooks: 1,
    request: { id: stripeId('req', random, 14), idempotency_key: random.uuid() },
    type: eventType,
  };
}

/** Stripe IDs: a type prefix, `_`, then base62 (24 characters for most objects). */
function stripeId(prefix: string, random: Random, length = 24): string {
  return `${prefix}_${random.chars(length, BASE62)}`;
}

/** The object the event is about, in the shape of its resource, chosen by the event type's prefix. */
function dataObject(eventType: string, random: Random, at: SigningTime): Record<string, unknown> {
  const customer = stripeId('cus', random, 14);
  const common = { created: at.seconds, livemode: false, metadata: {} };
  if (eventType.startsWith('payment_intent.')) return paymentIntent(eventType, customer, random, at);
  if (eventType.startsWith('charge.')) {
    return { id: stripeId('ch', random), object: 'charge', amount: 2000, amount_captured: 2000, currency: 'usd', customer, paid: true, status: 'succeeded', ...common };
  }
  if (eventType.startsWith('checkout.session.')) {
    return { id: stripeId('cs_test', random, 58), object: 'checkout.session', amount_total: 2000, currency: 'usd', customer, mode: 'payment', payment_status: 'paid', status: 'complete', ...common };
  }
  if (eventType.startsWith('customer.subscription.')) {
    return { id: stripeId('sub', random), object: 'subscription', customer, status: 'active', currency: 'usd', current_period_start: at.seconds, current_period_end: at.seconds + 30 * 86_400, ...common };
  }
  if (eventType.startsWith('customer.')) return { id: customer, object: 'customer', email: 'jenny.rosen@example.com', name: 'Jenny Rosen', ...common };
  if (eventType.startsWith('invoice.')) {
    return { id: stripeId('in', random), object: 'invoice', customer, amount_due: 2000, amount_paid: 2000, currency: 'usd', status: 'paid', ...common };
  }
  // Any other type: an object of the resource the type names (`product.created` → `product`).
  const resource = eventType.split('.').slice(0, -1).join('.') || eventType;
  return { id: stripeId(resource.replace(/\W+/g, '_').slice(0, 8), random), object: resource, ...common };
}

function paymentIntent(eventType: string, customer: string, random: Random, at: SigningTime): Record<string, unknown> {
  const failed = eventType.endsWith('.payment_failed');
  const succeeded = eventType.endsWith('.succeeded');
  const id = stripeId('pi', random);
  return {
    id,
    object: 'payment_intent',
    amount: 2000,
    amount_received: succeeded ? 2000 : 0,
    capture_method: 'automatic_async',
    client_secret: `${id}_secret_${random.chars(25, BASE62)}`,
    confirmation_method: 'automatic',
    created: at.seconds - 3,
    currency: 'usd',
    customer,
    last_payment_error: failed ? { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', type: 'card_error' } : null,
    latest_charge: succeeded ? stripeId('ch', random) : null,
    livemode: false,
    metadata: {},
    payment_method: stripeId('pm', random),
    payment_method_types: ['card'],
    status: succeeded ? 'succeeded' : failed ? 'requires_payment_method' : 'processing',
  };
}
