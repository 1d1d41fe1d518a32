import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { describeRequest, offsetNote } from '../support/describe';
import { SendInputError } from '../support/errors';
import { JSON_CONTENT_TYPE, SEND_USER_AGENT } from '../support/headers';
import { jsonBytes, parseJson, readField, writeField } from '../support/json';
import { hmac } from '../support/mac';
import type { FieldLocation, SendOptions } from '../types';

const DEFAULT_EVENT_ID: FieldLocation = { jsonPath: 'id' };

/**
 * The generic HMAC provider (`WebhookProvider.hmac`): whatever header, digest, encoding, prefix,
 * timestamp and signed-content layout the endpoint was configured with. The event ID (and type)
 * go where the endpoint reads them: a header, or a path in the JSON body.
 */
export const hmacSender: ProviderSender = {
  id: 'hmac',
  options: ['signatureHeader', 'algorithm', 'encoding', 'prefix', 'timestampHeader', 'timestampInMilliseconds', 'signedContent', 'eventIdField', 'eventTypeField'],
  name: 'HMAC',
  defaultEventType: 'order.created',
  exampleEventTypes: ['order.created', 'order.updated'],
  signsTimestamp: (options) => options.timestampHeader !== undefined,
  build(context: BuildContext): BuiltRequest {
    const { input, options, random, at } = context;
    const signatureHeader = requiredSignatureHeader(options);
    const layout = checkedLayout(options);
    const idField = options.eventIdField ?? DEFAULT_EVENT_ID;
    const typeField = options.eventTypeField;
    const id = input.eventId ?? `evt_${random.hex(24)}`;
    const body = input.body ?? jsonBytes(event(context, id, idField, typeField));

    const timestamp = options.timestampHeader ? String(options.timestampInMilliseconds ? at.ms : at.seconds) : '';
    const [before, after] = layout.split('{body}').map((part) => part.split('{timestamp}').join(timestamp));
    const digest = hmac(options.algorithm ?? 'sha256', input.secret, before, body, after).toString(options.encoding ?? 'hex');

    const headers: Record<string, string> = { 'Content-Type': JSON_CONTENT_TYPE, 'User-Agent': SEND_USER_AGENT, [signatureHeader]: `${options.prefix ?? ''}${digest}` };
    if (options.timestampHeader) headers[options.timestampHeader] = timestamp;
    if ('header' in idField) headers[idField.header] = id;
    if (typeField && 'header' in typeField) headers[typeField.header] = context.eventType;

    const parsed = parseJson(body);
    const eventId = 'header' in idField ? id : readField(parsed, idField.jsonPath);
    const eventType = typeField === undefined ? undefined : 'header' in typeField ? context.eventType : readField(parsed, typeField.jsonPath);
    return {
      headers,
      body,
      eventId,
      eventType,
      description: describeRequest('HMAC', eventType ?? context.eventType, eventId,
        `${signatureHeader}: ${options.prefix ?? ''}<${options.encoding ?? 'hex'}>, HMAC-${(options.algorithm ?? 'sha256').toUpperCase()} over ${JSON.stringify(layout)}${offsetNote(context)}`),
    };
  },
};

/** The construct requires the header name; guessing one would only produce 401s that look like a wrong secret. */
function requiredSignatureHeader(options: SendOptions): string {
  if (!options.signatureHeader) throw new SendInputError('hmac needs options.signatureHeader: the header the endpoint reads the signature from (its signatureHeader prop)');
  return options.signatureHeader;
}

/**
 * The layout, defaulted as the construct defaults it, and refused where the construct refuses it:
 * a request signed over such a layout could never verify, and the user should hear why.
 */
function checkedLayout(options: SendOptions): string {
  const layout = options.signedContent ?? (options.timestampHeader ? '{timestamp}.{body}' : '{body}');
  const bodies = layout.split('{body}').length - 1;
  if (bodies !== 1) throw new SendInputError(`signedContent must contain {body} exactly once, got ${JSON.stringify(layout)}`);
  const signsTimestamp = layout.includes('{timestamp}');
  if (signsTimestamp !== (options.timestampHeader !== undefined)) {
    throw new SendInputError(`signedContent contains {timestamp} exactly when timestampHeader is set; got ${JSON.stringify(layout)} with ${options.timestampHeader ? `timestampHeader ${options.timestampHeader}` : 'no timestampHeader'}`);
  }
  return layout;
}

/** A neutral event, with the ID (and type) written where the endpoint reads them. */
function event({ eventType, random, at }: BuildContext, id: string, idField: FieldLocation, typeField: FieldLocation | undefined): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    id,
    type: eventType,
    created_at: at.iso,
    data: { object: { id: `ord_${random.hex(16)}`, status: 'created', amount: 4200, currency: 'EUR' } },
  };
  if ('jsonPath' in idField) writeField(payload, idField.jsonPath, id);
  if (typeField && 'jsonPath' in typeField) writeField(payload, typeField.jsonPath, eventType);
  return payload;
}
