import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ENVELOPE_VERSION, MESSAGE_ATTRIBUTES, type ProcessorRoute, type WebhookEnvelope } from '../shared/contract';
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

/** SQS's limit on a message: body and attributes (names, types and values), in UTF-8 bytes. */
export const SQS_MESSAGE_LIMIT_BYTES = 1024 * 1024;

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

/** The message for a delivery: the envelope as SQS-safe JSON, and informational attributes. */
export function encodeMessage(delivery: Delivery): EncodedMessage {
  const body = sqsSafe(JSON.stringify(toEnvelope(delivery)));
  const attributes: EncodedMessage['attributes'] = {
    [MESSAGE_ATTRIBUTES.EVENT_ID]: { DataType: 'String', StringValue: sqsSafe(delivery.eventId) },
    [MESSAGE_ATTRIBUTES.PROVIDER]: { DataType: 'String', StringValue: delivery.provider },
    ...(delivery.eventType ? { [MESSAGE_ATTRIBUTES.EVENT_TYPE]: { DataType: 'String', StringValue: sqsSafe(delivery.eventType) } } : {}),
  };
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) bytes += Buffer.byteLength(name) + value.DataType.length + Buffer.byteLength(value.StringValue);
  return { body, attributes, bytes };
}

/**
 * Whether a delivery's message may exceed SQS's limit: JSON escaping turns a body byte into at most
 * six (`\u00XX`), base64 into 4/3, so small bodies are ruled out without encoding them.
 */
export function mayExceedMessageLimit(delivery: Delivery): boolean {
  const overhead = 64 * 1024;
  return delivery.body.length * 6 + overhead > SQS_MESSAGE_LIMIT_BYTES && encodeMessage(delivery).bytes > SQS_MESSAGE_LIMIT_BYTES;
}

/** Sends the event to every matched processor's FIFO queue; the event ID is the deduplication ID. */
export class Dispatcher {
  public constructor(private readonly client: SQSClient) {}

  /** Resolves when every queue accepted the message; throws {@link DownstreamError} otherwise. */
  public async enqueue(routes: readonly ProcessorRoute[], delivery: Delivery): Promise<void> {
    const message = encodeMessage(delivery);
    const results = await Promise.allSettled(routes.map((route) => this.client.send(new SendMessageCommand({
      QueueUrl: route.queueUrl,
      MessageBody: message.body,
      MessageGroupId: safeId(delivery.groupId),
      MessageDeduplicationId: safeId(delivery.eventId),
      MessageAttributes: message.attributes,
    }))));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw new DownstreamError('enqueue', { cause: failure.reason });
  }
}

export function toEnvelope(delivery: Delivery): WebhookEnvelope {
  const text = decodeUtf8(delivery.body);
  return {
    v: ENVELOPE_VERSION,
    id: delivery.eventId,
    type: delivery.eventType,
    provider: delivery.provider,
    receivedAt: new Date(delivery.receivedAtMs).toISOString(),
    body: text ?? delivery.body.toString('base64'),
    bodyEncoding: text === undefined ? 'base64' : 'utf8',
    contentType: delivery.contentType,
    ...(delivery.jsonField === undefined ? {} : { jsonField: delivery.jsonField }),
  };
}
