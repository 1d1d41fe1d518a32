import { isUtf8 } from 'node:buffer';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ENVELOPE_VERSION, MESSAGE_ATTRIBUTES, SQS_MESSAGE_LIMIT_BYTES, WORST_JSON_ESCAPE, type BodyReference, type ProcessorRoute, type ReplayMarker, type WebhookEnvelope } from '../shared/contract';
import { safeId } from './claims';
import { DownstreamError } from './errors';
import { decodeUtf8 } from './payload';

export interface Delivery {
  readonly eventId: string;
  readonly eventType?: string;
  readonly provider: string;
  readonly groupId: string;
  readonly body: Buffer;
  readonly contentType?: string;
  /** The form field holding the JSON payload, for form-encoded bodies (see the envelope's `jsonField`). */
  readonly jsonField?: string;
  readonly receivedAtMs: number;
}

export { SQS_MESSAGE_LIMIT_BYTES };

/** A delivery as SQS will carry it. */
export interface EncodedMessage {
  readonly body: string;
  readonly attributes: Record<string, { DataType: 'String'; StringValue: string }>;
  /** What SQS counts against {@link SQS_MESSAGE_LIMIT_BYTES}. */
  readonly bytes: number;
}

/**
 * Characters SQS refuses in a message (it accepts only `#x9 | #xA | #xD | #x20–#xD7FF |
 * #xE000–#xFFFD | #x10000–#x10FFFF`). JSON.stringify escapes control characters and lone surrogates
 * but writes U+FFFE and U+FFFF as they are; SQS would reject or rewrite them, so they travel as
 * `\uFFFE` escapes, which JSON.parse on the processor's side turns back into the signed bytes.
 */
const NOT_SQS_TEXT = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function sqsSafe(text: string): string {
  return text.replace(NOT_SQS_TEXT, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The message for a delivery: the envelope as SQS-safe JSON, and informational attributes. With a
 * `bodyRef`, the envelope points at the stored body instead of carrying it.
 */
export function encodeMessage(delivery: Delivery, bodyRef?: BodyReference, replay?: ReplayMarker): EncodedMessage {
  const body = sqsSafe(JSON.stringify(toEnvelope(delivery, bodyRef, replay)));
  const attributes: EncodedMessage['attributes'] = {
    [MESSAGE_ATTRIBUTES.EVENT_ID]: { DataType: 'String', StringValue: sqsSafe(delivery.eventId) },
    [MESSAGE_ATTRIBUTES.PROVIDER]: { DataType: 'String', StringValue: delivery.provider },
    ...(delivery.eventType ? { [MESSAGE_ATTRIBUTES.EVENT_TYPE]: { DataType: 'String', StringValue: sqsSafe(delivery.eventType) } } : {}),
  };
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) bytes += Buffer.byteLength(name) + value.DataType.length + Buffer.byteLength(value.StringValue);
  return { body, attributes, bytes };
}

/** A message's bytes besides its variable fields: JSON keys and punctuation, the time, attribute names and types. */
const FIXED_MESSAGE_BYTES = 4 * 1024;

/**
 * Whether a delivery's message may exceed SQS's limit. Every variable field counts, each at its worst
 * escaping — the event ID and type twice, in the envelope and in an attribute: a signed form can
 * carry them as long as its body, full of control characters — so small events are ruled out
 * without encoding them, and any other is encoded and measured.
 */
export function mayExceedMessageLimit(delivery: Delivery): boolean {
  const variable = delivery.body.length + 2 * (delivery.eventId.length + (delivery.eventType?.length ?? 0))
    + (delivery.contentType?.length ?? 0) + (delivery.jsonField?.length ?? 0) + delivery.provider.length;
  return variable * WORST_JSON_ESCAPE + FIXED_MESSAGE_BYTES > SQS_MESSAGE_LIMIT_BYTES && encodeMessage(delivery).bytes > SQS_MESSAGE_LIMIT_BYTES;
}

/**
 * Whether every processor's message fits once its body travels by reference: what is left is the
 * envelope's other fields and the attributes, which a huge event ID or type can still fill.
 */
export function referencedMessagesFit(delivery: Delivery, references: ReadonlyMap<string, BodyReference>): boolean {
  return [...references.values()].every((reference) => encodeMessage(delivery, reference).bytes <= SQS_MESSAGE_LIMIT_BYTES);
}

/** Sends the event to every matched processor's FIFO queue; the event ID is the deduplication ID. */
export class Dispatcher {
  public constructor(private readonly client: SQSClient) {}

  /**
   * Resolves when every queue accepted the message; throws {@link DownstreamError} otherwise. With
   * `references` (processor name → where its copy of the body is stored), each message points at
   * its processor's object instead of carrying the body.
   */
  public async enqueue(routes: readonly ProcessorRoute[], delivery: Delivery, references?: ReadonlyMap<string, BodyReference>): Promise<void> {
    const inline = references === undefined ? encodeMessage(delivery) : undefined;
    const messages = routes.map((route) => inline ?? encodeMessage(delivery, referenceFor(references, route)));
    const results = await Promise.allSettled(routes.map((route, i) => this.client.send(new SendMessageCommand({
      QueueUrl: route.queueUrl,
      MessageBody: messages[i].body,
      MessageGroupId: safeId(delivery.groupId),
      MessageDeduplicationId: safeId(delivery.eventId),
      MessageAttributes: messages[i].attributes,
    }))));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw new DownstreamError('enqueue', { cause: failure.reason });
  }
}

function referenceFor(references: ReadonlyMap<string, BodyReference> | undefined, route: ProcessorRoute): BodyReference {
  const reference = references?.get(route.name);
  // Never send a processor a message without its body: a missing reference is a bug here, not a 503.
  if (reference === undefined) throw new Error(`internal error: no stored body for processor ${route.name}`);
  return reference;
}

/**
 * The envelope of a delivery; with `bodyRef`, an empty `body` and the reference instead; with
 * `replay`, marked as sent again from the archive.
 */
export function toEnvelope(delivery: Delivery, bodyRef?: BodyReference, replay?: ReplayMarker): WebhookEnvelope {
  const text = bodyRef === undefined ? decodeUtf8(delivery.body) : undefined;
  // By reference, the encoding still says what the bytes are (text or not), as it would inline.
  const utf8 = bodyRef === undefined ? text !== undefined : isUtf8(delivery.body);
  return {
    v: ENVELOPE_VERSION,
    id: delivery.eventId,
    type: delivery.eventType,
    provider: delivery.provider,
    receivedAt: new Date(delivery.receivedAtMs).toISOString(),
    body: bodyRef !== undefined ? '' : (text ?? delivery.body.toString('base64')),
    bodyEncoding: utf8 ? 'utf8' : 'base64',
    ...(bodyRef === undefined ? {} : { bodyRef }),
    contentType: delivery.contentType,
    ...(delivery.jsonField === undefined ? {} : { jsonField: delivery.jsonField }),
    ...(replay === undefined ? {} : { replay }),
  };
}
