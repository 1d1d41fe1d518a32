import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { isoBefore } from '../support/clock';
import { describeRequest, offsetNote } from '../support/describe';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac } from '../support/mac';
import type { Random } from '../support/random';

/**
 * Linear: `Linear-Signature: <hex>`, HMAC-SHA256 over the raw body. The signed timestamp is the
 * body's `webhookTimestamp` (milliseconds). Event types are `<type>.<action>` (`Issue.create`);
 * `Linear-Delivery` carries a delivery GUID, unsigned.
 *
 * A user-given body is signed as is, including its own `webhookTimestamp`: the endpoint refuses it
 * once that is out of its window, as it would a captured Linear delivery.
 */
export const linearSender: ProviderSender = {
  id: 'linear',
  options: ['eventIdSource'],
  name: 'Linear',
  defaultEventType: 'Issue.create',
  exampleEventTypes: ['Issue.create', 'Issue.update', 'Issue.remove', 'Comment.create', 'Project.update'],
  signsTimestamp: () => true,
  build(context: BuildContext): BuiltRequest {
    const { input, random } = context;
    const delivery = input.eventId ?? random.uuid();
    const body = input.body ?? jsonBytes(webhookPayload(context));
    const parsed = parseJson(body);
    const [type, action] = [readField(parsed, 'type'), readField(parsed, 'action')];
    const eventType = type && action ? `${type}.${action}` : type;
    const eventId = context.options.eventIdSource === 'delivery' ? delivery : payloadId(parsed, type, action);
    return {
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'User-Agent': 'Linear-Webhook',
        'Linear-Delivery': delivery,
        ...(type ? { 'Linear-Event': type } : {}),
        'Linear-Signature': hmac('sha256', input.secret, body).toString('hex'),
      },
      body,
      eventId,
      eventType,
      description: describeRequest('Linear', eventType, eventId, `Linear-Signature = HMAC-SHA256 over the body, webhookTimestamp ${readField(parsed, 'webhookTimestamp') ?? '(none)'}${offsetNote(context)}`),
    };
  },
};

/** The ID the endpoint derives by default from the signed body (see the linear scheme's `payloadId`). */
function payloadId(parsed: unknown, type: string | undefined, action: string | undefined): string | undefined {
  const webhookId = readField(parsed, 'webhookId');
  const createdAt = readField(parsed, 'createdAt');
  if (webhookId === undefined || createdAt === undefined) return undefined;
  return `${webhookId}:${type ?? ''}.${action ?? ''}:${readField(parsed, 'data.id') ?? ''}:${createdAt}`;
}

function webhookPayload({ eventType, random, at }: BuildContext): Record<string, unknown> {
  const dot = eventType.indexOf('.');
  const type = dot < 0 ? eventType : eventType.slice(0, dot);
  const action = dot < 0 ? 'create' : eventType.slice(dot + 1);
  const data = entity(type, random, isoBefore(at, action === 'create' ? 0 : 3600), at.iso);
  return {
    action,
    actor: { id: random.uuid(), name: 'Ada Lovelace', email: 'ada@example.com', url: 'https://linear.app/acme/profiles/ada', type: 'user' },
    createdAt: at.iso,
    data,
    url: data.url,
    type,
    organizationId: random.uuid(),
    webhookTimestamp: at.ms,
    webhookId: random.uuid(),
    ...(action === 'update' ? { updatedFrom: { updatedAt: isoBefore(at, 3600), title: 'Retry failed payment webhooks' } } : {}),
  };
}

function entity(type: string, random: Random, createdAt: string, updatedAt: string): Record<string, unknown> & { url: string } {
  const id = random.uuid();
  const teamId = random.uuid();
  if (type === 'Issue') {
    const number = random.integer(1, 999);
    return {
      id, createdAt, updatedAt, number, title: 'Retry failed payment webhooks with backoff', priority: 2, boardOrder: 0, sortOrder: -1016.5,
      teamId, stateId: random.uuid(), labelIds: [], subscriberIds: [], identifier: `ENG-${number}`, priorityLabel: 'High',
      team: { id: teamId, key: 'ENG', name: 'Engineering' }, state: { id: random.uuid(), name: 'Todo', type: 'unstarted', color: '#e2e2e2' },
      url: `https://linear.app/acme/issue/ENG-${number}/retry-failed-payment-webhooks-with-backoff`,
    };
  }
  if (type === 'Comment') {
    return { id, createdAt, updatedAt, body: 'Reproduced on staging.', issueId: random.uuid(), userId: random.uuid(), url: `https://linear.app/acme/issue/ENG-1#comment-${id.slice(0, 8)}` };
  }
  return { id, createdAt, updatedAt, name: `${type} ${id.slice(0, 4)}`, url: `https://linear.app/acme/${type.toLowerCase()}/${id}` };
}
