import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { describeRequest, offsetNote } from '../support/describe';
import { SendInputError } from '../support/errors';
import { JSON_CONTENT_TYPE, SEND_USER_AGENT } from '../support/headers';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac } from '../support/mac';
import { BASE62 } from '../support/random';
import type { SendOptions } from '../types';

type HeaderFamily = 'webhook' | 'svix';

interface Flavour {
  readonly id: string;
  readonly name: string;
  readonly family: HeaderFamily;
  readonly defaultEventType: string;
  readonly exampleEventTypes: readonly string[];
  readonly userAgent: string;
}

/**
 * Standard Webhooks: `<p>-id`, `<p>-timestamp` and `<p>-signature: v1,<base64>`, HMAC-SHA256 over
 * `${id}.${timestamp}.${body}` keyed with the base64-decoded part of the `whsec_…` secret. The body
 * is the spec's envelope: `type`, `timestamp`, `data`.
 */
export function standardWebhooksFamily(flavour: Flavour): ProviderSender {
  return {
    id: flavour.id,
    options: ['headerPrefix'],
    name: flavour.name,
    defaultEventType: flavour.defaultEventType,
    exampleEventTypes: flavour.exampleEventTypes,
    signsTimestamp: () => true,
    build(context: BuildContext): BuiltRequest {
      const { input, random, at } = context;
      const family = headerFamily(context.options, flavour.family);
      const key = secretKey(input.secret);
      // Message IDs are `msg_` and a 27-character KSUID, as Svix mints them.
      const messageId = input.eventId ?? `msg_${random.chars(27, BASE62)}`;
      const body = input.body ?? jsonBytes({ type: context.eventType, timestamp: at.iso, data: data(context) });
      const timestamp = String(at.seconds);
      const signature = `v1,${hmac('sha256', key, `${messageId}.${timestamp}.`, body).toString('base64')}`;
      const eventType = readField(parseJson(body), 'type');
      return {
        headers: {
          'Content-Type': JSON_CONTENT_TYPE,
          'User-Agent': flavour.userAgent,
          [`${family}-id`]: messageId,
          [`${family}-timestamp`]: timestamp,
          [`${family}-signature`]: signature,
        },
        body,
        eventId: messageId,
        eventType,
        description: describeRequest(flavour.name, eventType, messageId, `${family}-signature v1 = HMAC-SHA256 over "id.timestamp.body" with the decoded whsec_ key${offsetNote(context)}`),
      };
    },
  };
}

/** `either` reads both families at the endpoint; the sender still picks one, its own. */
function headerFamily(options: SendOptions, own: HeaderFamily): HeaderFamily {
  return options.headerPrefix === 'webhook' || options.headerPrefix === 'svix' ? options.headerPrefix : own;
}

/** The key is the base64 after `whsec_` (the libraries accept it without the prefix too). */
function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new SendInputError('a Standard Webhooks secret is whsec_ followed by base64 (the signing key is the decoded bytes)');
  }
  return key;
}

function data({ eventType, random, at }: BuildContext): Record<string, unknown> {
  const [resource] = eventType.split('.');
  const prefix = resource.slice(0, 3).toLowerCase();
  return { id: `${prefix}_${random.chars(27, BASE62)}`, object: resource, status: 'paid', amount: 4200, currency: 'usd', created_at: at.iso };
}

export const standardWebhooksSender: ProviderSender = standardWebhooksFamily({
  id: 'standard-webhooks',
  name: 'Standard Webhooks',
  family: 'webhook',
  defaultEventType: 'invoice.paid',
  exampleEventTypes: ['invoice.paid', 'invoice.created', 'user.created'],
  userAgent: SEND_USER_AGENT,
});
