import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { describeRequest } from '../support/describe';
import { JSON_CONTENT_TYPE, SEND_USER_AGENT } from '../support/headers';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac } from '../support/mac';
import { LOWER_ALNUM, type Random } from '../support/random';

/**
 * Intercom: `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 over the raw body with the app's client
 * secret. The body is a `notification_event` whose `topic` is the event type and `id` (`notif_…`)
 * the event ID. Nothing time-bound is signed.
 */
export const intercomSender: ProviderSender = {
  id: 'intercom',
  name: 'Intercom',
  defaultEventType: 'conversation.user.created',
  exampleEventTypes: ['conversation.user.created', 'conversation.user.replied', 'conversation.admin.closed', 'contact.user.created', 'ping'],
  signsTimestamp: () => false,
  build(context: BuildContext): BuiltRequest {
    const body = context.input.body ?? jsonBytes(notification(context));
    const signature = `sha1=${hmac('sha1', context.input.secret, body).toString('hex')}`;
    const parsed = parseJson(body);
    const eventId = readField(parsed, 'id');
    const eventType = readField(parsed, 'topic');
    return {
      headers: { 'Content-Type': JSON_CONTENT_TYPE, 'User-Agent': SEND_USER_AGENT, Accept: 'application/json', 'X-Hub-Signature': signature },
      body,
      eventId,
      eventType,
      description: describeRequest('Intercom', eventType, eventId, 'X-Hub-Signature sha1 = HMAC-SHA1 over the body'),
    };
  },
};

function notification({ input, eventType, random, at }: BuildContext): Record<string, unknown> {
  const appId = random.chars(8, LOWER_ALNUM);
  return {
    type: 'notification_event',
    app_id: appId,
    data: { type: 'notification_event_data', item: item(eventType, random, at.seconds) },
    links: {},
    id: input.eventId ?? `notif_${random.uuid()}`,
    topic: eventType,
    delivery_status: 'pending',
    delivery_attempts: 1,
    delivered_at: 0,
    first_sent_at: at.seconds,
    created_at: at.seconds,
    self: null,
  };
}

/** The object the topic is about: a conversation, a contact, or Intercom's ping. */
function item(topic: string, random: Random, seconds: number): Record<string, unknown> {
  if (topic === 'ping') return { type: 'ping', message: 'something something interzen' };
  if (topic.startsWith('contact.')) {
    return { type: 'contact', id: random.hex(24), role: 'user', email: 'alex@example.com', name: 'Alex Doe', created_at: seconds, updated_at: seconds };
  }
  return {
    type: 'conversation', id: random.digits(14), created_at: seconds, updated_at: seconds, open: !topic.endsWith('.closed'), state: topic.endsWith('.closed') ? 'closed' : 'open', read: false,
    source: { type: 'conversation', id: random.digits(10), delivered_as: 'customer_initiated', subject: '', body: '<p>Hi, my invoice looks wrong.</p>', author: { type: 'user', id: random.hex(24), name: 'Alex Doe', email: 'alex@example.com' } },
    contacts: { type: 'contact.list', contacts: [{ type: 'contact', id: random.hex(24) }] },
  };
}
