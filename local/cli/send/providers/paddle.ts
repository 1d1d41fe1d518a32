import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { isoBefore, type SigningTime } from '../support/clock';
import { describeRequest, offsetNote } from '../support/describe';
import { JSON_CONTENT_TYPE, SEND_USER_AGENT } from '../support/headers';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac } from '../support/mac';
import { LOWER_ALNUM, type Random } from '../support/random';

/**
 * Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>`, HMAC-SHA256 over `${ts}:${body}` keyed
 * with the notification setting's `pdl_ntfset_…` secret as text. The body is Paddle's event
 * envelope: `event_id`, `event_type`, `occurred_at`, `notification_id`, `data`.
 */
export const paddleSender: ProviderSender = {
  id: 'paddle',
  name: 'Paddle',
  defaultEventType: 'transaction.completed',
  exampleEventTypes: ['transaction.completed', 'transaction.paid', 'subscription.created', 'subscription.updated', 'subscription.canceled', 'customer.created'],
  signsTimestamp: () => true,
  build(context: BuildContext): BuiltRequest {
    const body = context.input.body ?? jsonBytes(paddleEvent(context));
    const ts = String(context.at.seconds);
    const h1 = hmac('sha256', context.input.secret, `${ts}:`, body).toString('hex');
    const parsed = parseJson(body);
    const eventId = readField(parsed, 'event_id');
    const eventType = readField(parsed, 'event_type');
    return {
      headers: { 'Content-Type': JSON_CONTENT_TYPE, 'User-Agent': SEND_USER_AGENT, 'Paddle-Signature': `ts=${ts};h1=${h1}` },
      body,
      eventId,
      eventType,
      description: describeRequest('Paddle', eventType, eventId, `Paddle-Signature ts=${ts}, h1 = HMAC-SHA256 over "ts:body"${offsetNote(context)}`),
    };
  },
};

/** Paddle IDs: an entity prefix, `_`, and 26 lower-case letters and digits. */
function paddleId(prefix: string, random: Random): string {
  return `${prefix}_01${random.chars(24, LOWER_ALNUM)}`;
}

/** Paddle writes timestamps with microseconds. */
function micros(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$1000Z');
}

function paddleEvent({ input, eventType, random, at }: BuildContext): Record<string, unknown> {
  return {
    event_id: input.eventId ?? paddleId('evt', random),
    event_type: eventType,
    occurred_at: micros(at.iso),
    notification_id: paddleId('ntf', random),
    data: entity(eventType, random, at),
  };
}

function entity(eventType: string, random: Random, at: SigningTime): Record<string, unknown> {
  const customerId = paddleId('ctm', random);
  const created = micros(isoBefore(at, 5));
  const updated = micros(at.iso);
  if (eventType.startsWith('customer.')) {
    return { id: customerId, name: 'Sam Miller', email: 'sam@example.com', status: 'active', locale: 'en', custom_data: null, marketing_consent: false, created_at: created, updated_at: updated };
  }
  const item = { price: { id: paddleId('pri', random), product_id: paddleId('pro', random), description: 'Monthly (per seat)', unit_price: { amount: '3000', currency_code: 'USD' } }, quantity: 1 };
  if (eventType.startsWith('subscription.')) {
    const status = eventType.endsWith('.canceled') ? 'canceled' : 'active';
    return {
      id: paddleId('sub', random), status, customer_id: customerId, address_id: paddleId('add', random), currency_code: 'USD', collection_mode: 'automatic',
      billing_cycle: { interval: 'month', frequency: 1 }, current_billing_period: { starts_at: updated, ends_at: micros(new Date(at.ms + 30 * 86_400_000).toISOString()) },
      items: [item], custom_data: null, created_at: created, updated_at: updated,
    };
  }
  if (eventType.startsWith('transaction.')) {
    return {
      id: paddleId('txn', random), status: eventType.split('.')[1] ?? 'completed', customer_id: customerId, address_id: paddleId('add', random), business_id: null,
      subscription_id: paddleId('sub', random), invoice_id: paddleId('inv', random), invoice_number: `${at.iso.slice(0, 4)}-${random.digits(5)}`,
      currency_code: 'USD', collection_mode: 'automatic', origin: 'web', custom_data: null, items: [item],
      details: { totals: { subtotal: '3000', tax: '600', total: '3600', grand_total: '3600', currency_code: 'USD' } },
      billed_at: updated, created_at: created, updated_at: updated,
    };
  }
  const [resource] = eventType.split('.');
  return { id: paddleId(resource.slice(0, 3), random), customer_id: customerId, created_at: created, updated_at: updated };
}
