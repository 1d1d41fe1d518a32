import { sign } from 'node:crypto';
import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { describeRequest, offsetNote } from '../support/describe';
import { JSON_CONTENT_TYPE } from '../support/headers';
import { parseJson, readField } from '../support/json';
import { p256PrivateKey, p256PublicBase64 } from '../support/keys';
import { BASE64URL, type Random } from '../support/random';

/**
 * SendGrid Event Webhook: ECDSA P-256 / SHA-256 over `timestamp + body`, the DER signature in
 * base64 (`X-Twilio-Email-Event-Webhook-Signature`), the timestamp beside it. The endpoint holds the
 * public key; `input.secret` is the private one. The body is a JSON array of events, one per line
 * and ending in CRLF, as SendGrid posts it (the CRLF is signed too).
 */
export const sendgridSender: ProviderSender = {
  id: 'sendgrid',
  name: 'SendGrid',
  defaultEventType: 'delivered',
  exampleEventTypes: ['processed', 'delivered', 'open', 'click', 'bounce', 'dropped', 'deferred', 'spamreport', 'unsubscribe'],
  keyPair: 'p256',
  signsTimestamp: () => true,
  build(context: BuildContext): BuiltRequest {
    const { input, at } = context;
    const privateKey = p256PrivateKey(input.secret);
    const body = input.body ?? eventBatch([event(context)]);
    const timestamp = String(at.seconds);
    const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), privateKey).toString('base64');
    const [eventId, eventType] = identity(body);
    return {
      headers: {
        'Content-Type': JSON_CONTENT_TYPE,
        'User-Agent': 'SendGrid Event API',
        'X-Twilio-Email-Event-Webhook-Signature': signature,
        'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
      },
      body,
      eventId,
      eventType,
      description: describeRequest('SendGrid', eventType, eventId, `ECDSA P-256 over timestamp ${timestamp} + body; verifies with public key ${p256PublicBase64(privateKey)}${offsetNote(context)}`),
    };
  },
};

/** `[{…},\r\n{…}]\r\n`: SendGrid's layout, byte for byte, so a test body looks like a captured one. */
function eventBatch(events: readonly Record<string, unknown>[]): Buffer {
  return Buffer.from(`[${events.map((item) => JSON.stringify(item)).join(',\r\n')}]\r\n`, 'utf8');
}

/** What the endpoint reads: the `sg_event_id` and `event` of a one-event batch; a longer batch is named by the endpoint from all its IDs. */
function identity(body: Buffer): [string | undefined, string | undefined] {
  const events = parseJson(body);
  if (!Array.isArray(events) || events.length !== 1) return [undefined, Array.isArray(events) && events.length > 1 ? 'batch' : undefined];
  return [readField(events[0], 'sg_event_id'), readField(events[0], 'event')];
}

function event({ input, eventType, random, at }: BuildContext): Record<string, unknown> {
  const messageId = random.chars(22, BASE64URL);
  return {
    email: 'alice@example.com',
    timestamp: at.seconds - 2,
    'smtp-id': `<${messageId}@geopod-ismtpd-3>`,
    event: eventType,
    category: ['order-shipped'],
    sg_event_id: input.eventId ?? random.chars(22, BASE64URL),
    sg_message_id: `${messageId}.recvd-${random.hex(10)}-${random.hex(5)}-1-${random.hex(8).toUpperCase()}-${random.integer(1, 40)}.0`,
    ...eventFields(eventType, random),
  };
}

function eventFields(eventType: string, random: Random): Record<string, unknown> {
  switch (eventType) {
    case 'delivered': return { response: '250 2.0.0 OK  1700000000 d2e1a72fcca58-6c3a0f8e4ddsi123 - gsmtp', ip: '149.72.1.1', tls: 1 };
    case 'bounce': return { reason: '550 5.1.1 The email account that you tried to reach does not exist.', status: '5.1.1', type: 'bounce', ip: '149.72.1.1', tls: 1 };
    case 'dropped': return { reason: 'Bounced Address', status: '5.0.0' };
    case 'deferred': return { response: '400 try again later', attempt: '1' };
    case 'open': return { useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', ip: `203.0.113.${random.integer(1, 254)}`, sg_machine_open: false };
    case 'click': return { useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', ip: `203.0.113.${random.integer(1, 254)}`, url: 'https://example.com/orders/1001' };
    default: return {};
  }
}
