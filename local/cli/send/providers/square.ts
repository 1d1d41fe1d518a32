import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { isoBefore, type SigningTime } from '../support/clock';
import { describeRequest, shownUrl } from '../support/describe';
import { JSON_CONTENT_TYPE } from '../support/headers';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac } from '../support/mac';
import { BASE62, UPPER_ALNUM, type Random } from '../support/random';

/**
 * Square: `x-square-hmacsha256-signature: <base64>`, HMAC-SHA256 over `notificationUrl + body`
 * with the subscription's signature key. Square signs the notification URL exactly as registered:
 * `input.signedUrl` when the request is POSTed somewhere else (a tunnel, a local server).
 */
export const squareSender: ProviderSender = {
  id: 'square',
  name: 'Square',
  defaultEventType: 'payment.updated',
  exampleEventTypes: ['payment.created', 'payment.updated', 'order.created', 'order.updated', 'refund.created', 'customer.created'],
  signsTimestamp: () => false,
  build(context: BuildContext): BuiltRequest {
    const body = context.input.body ?? jsonBytes(notification(context));
    const signature = hmac('sha256', context.input.secret, context.signedUrl, body).toString('base64');
    const parsed = parseJson(body);
    const eventId = readField(parsed, 'event_id');
    const eventType = readField(parsed, 'type');
    return {
      headers: { 'Content-Type': JSON_CONTENT_TYPE, 'User-Agent': 'Square Connect v2', 'x-square-hmacsha256-signature': signature },
      body,
      eventId,
      eventType,
      description: describeRequest('Square', eventType, eventId, `x-square-hmacsha256-signature = base64 HMAC-SHA256 over ${JSON.stringify(shownUrl(context.signedUrl))} + body`),
    };
  },
};

/** Square object IDs: 22 to 29 upper-case letters and digits. */
function squareId(random: Random, length = 22): string {
  return random.chars(length, UPPER_ALNUM);
}

function notification({ input, eventType, random, at }: BuildContext): Record<string, unknown> {
  const [kind] = eventType.split('.');
  const id = squareId(random, kind === 'payment' ? 29 : 22);
  return {
    merchant_id: squareId(random, 13),
    type: eventType,
    event_id: input.eventId ?? random.uuid(),
    created_at: at.iso,
    data: { type: kind, id, object: { [kind]: squareObject(kind, id, random, at) } },
  };
}

function squareObject(kind: string, id: string, random: Random, at: SigningTime): Record<string, unknown> {
  const money = { amount: 1500, currency: 'USD' };
  const common = { id, created_at: isoBefore(at, 2), updated_at: at.iso, location_id: squareId(random, 13) };
  if (kind === 'payment') {
    return {
      ...common, amount_money: money, total_money: money, approved_money: money, status: 'COMPLETED', source_type: 'CARD', order_id: random.chars(29, BASE62), version: 3,
      card_details: { status: 'CAPTURED', card: { card_brand: 'VISA', last_4: '1111', exp_month: 11, exp_year: 2030 }, entry_method: 'KEYED' },
      receipt_number: id.slice(0, 4), receipt_url: `https://squareupsandbox.com/receipt/preview/${id}`,
    };
  }
  if (kind === 'order') return { ...common, order_id: id, state: 'OPEN', version: 1 };
  if (kind === 'refund') return { ...common, amount_money: money, status: 'PENDING', payment_id: squareId(random, 29) };
  return { ...common, version: 1 };
}
