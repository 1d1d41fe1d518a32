import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { isoBefore } from '../support/clock';
import { describeRequest } from '../support/describe';
import { JSON_CONTENT_TYPE } from '../support/headers';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac } from '../support/mac';
import { CROCKFORD32, UPPER_ALNUM, type Random } from '../support/random';

/**
 * PagerDuty webhooks v3: `X-PagerDuty-Signature: v1=<hex>`, HMAC-SHA256 over the raw body with the
 * subscription's secret used as its text (it looks like base64 but is not decoded). Nothing
 * time-bound is signed.
 */
export const pagerdutySender: ProviderSender = {
  id: 'pagerduty',
  name: 'PagerDuty',
  defaultEventType: 'incident.triggered',
  exampleEventTypes: ['incident.triggered', 'incident.acknowledged', 'incident.resolved', 'incident.annotated', 'pagey.ping'],
  signsTimestamp: () => false,
  build(context: BuildContext): BuiltRequest {
    const body = context.input.body ?? jsonBytes({ event: webhookEvent(context) });
    const signature = `v1=${hmac('sha256', context.input.secret, body).toString('hex')}`;
    const parsed = parseJson(body);
    const eventId = readField(parsed, 'event.id');
    const eventType = readField(parsed, 'event.event_type');
    return {
      headers: { 'Content-Type': JSON_CONTENT_TYPE, 'User-Agent': 'PagerDuty-Webhook/V3.0', 'X-PagerDuty-Signature': signature },
      body,
      eventId,
      eventType,
      description: describeRequest('PagerDuty', eventType, eventId, 'X-PagerDuty-Signature v1 = HMAC-SHA256 over the body'),
    };
  },
};

/** PagerDuty object IDs: `P` and six upper-case letters or digits. */
function objectId(random: Random): string {
  return `P${random.chars(6, UPPER_ALNUM)}`;
}

function webhookEvent({ input, eventType, random, at }: BuildContext): Record<string, unknown> {
  const [resourceType] = eventType.split('.');
  return {
    // Event IDs are ULIDs: 26 characters of Crockford base 32.
    id: input.eventId ?? random.chars(26, CROCKFORD32),
    event_type: eventType,
    resource_type: resourceType,
    occurred_at: at.iso,
    agent: { html_url: 'https://acme.pagerduty.com/users/PLH1HKV', id: 'PLH1HKV', self: 'https://api.pagerduty.com/users/PLH1HKV', summary: 'Tenex Engineer', type: 'user_reference' },
    client: null,
    data: resourceType === 'incident' ? incident(eventType, random, at.iso, isoBefore(at, 120)) : { id: objectId(random), type: resourceType },
  };
}

function incident(eventType: string, random: Random, updatedAt: string, createdAt: string): Record<string, unknown> {
  const id = objectId(random);
  const serviceId = objectId(random);
  const status = eventType.endsWith('.resolved') ? 'resolved' : eventType.endsWith('.acknowledged') ? 'acknowledged' : 'triggered';
  return {
    id,
    type: 'incident',
    self: `https://api.pagerduty.com/incidents/${id}`,
    html_url: `https://acme.pagerduty.com/incidents/${id}`,
    number: random.integer(1, 9999),
    status,
    incident_key: random.hex(32),
    created_at: createdAt,
    updated_at: updatedAt,
    title: 'Payment webhook error rate above 5%',
    service: { html_url: `https://acme.pagerduty.com/services/${serviceId}`, id: serviceId, self: `https://api.pagerduty.com/services/${serviceId}`, summary: 'Payments API', type: 'service_reference' },
    assignees: [{ html_url: 'https://acme.pagerduty.com/users/PTUXL6G', id: 'PTUXL6G', self: 'https://api.pagerduty.com/users/PTUXL6G', summary: 'User 123', type: 'user_reference' }],
    escalation_policy: { html_url: 'https://acme.pagerduty.com/escalation_policies/PUS0KTE', id: 'PUS0KTE', self: 'https://api.pagerduty.com/escalation_policies/PUS0KTE', summary: 'Default', type: 'escalation_policy_reference' },
    teams: [],
    priority: null,
    urgency: 'high',
    conference_bridge: null,
    resolve_reason: null,
  };
}
