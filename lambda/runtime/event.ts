import type { SQSRecord } from 'aws-lambda';
import { ENVELOPE_VERSION, type WebhookEnvelope } from '../shared/contract';

/** A verified webhook event, as a processor receives it. */
export interface WebhookEvent {
  /** The provider's event ID; the handler runs once per (processor, id). */
  readonly id: string;
  /** The event type, when the provider gives one. */
  readonly type?: string;
  /** The provider scheme that verified it, e.g. `stripe`. */
  readonly provider: string;
  /** When the verifier accepted the request. */
  readonly receivedAt: Date;
  /** The exact bytes the provider signed. */
  readonly rawBody: Buffer;
  readonly contentType?: string;
  /**
   * The body parsed as JSON (parsed on first call). For a form-encoded body that carries its JSON in
   * one field (GitHub `content_type: form`, Slack interactivity), that field parsed as JSON.
   */
  json<T = unknown>(): T;
  /** The SQS delivery that carried it. */
  readonly delivery: { readonly messageId: string; readonly groupId?: string; readonly receiveCount: number };
}

/** The message is not a hardened-webhooks envelope this runtime understands. */
export class UnknownEnvelopeError extends Error {
  public constructor(messageId: string, options?: { cause?: unknown }) {
    super(`message ${messageId} is not a hardened-webhooks envelope of version ${ENVELOPE_VERSION}`, options);
    this.name = 'UnknownEnvelopeError';
  }
}

export function toWebhookEvent(record: SQSRecord): WebhookEvent {
  let envelope: WebhookEnvelope;
  try {
    envelope = JSON.parse(record.body) as WebhookEnvelope;
  } catch (error) {
    throw new UnknownEnvelopeError(record.messageId, { cause: error });
  }
  if (envelope?.v !== ENVELOPE_VERSION || typeof envelope.id !== 'string' || typeof envelope.body !== 'string') {
    throw new UnknownEnvelopeError(record.messageId);
  }
  const rawBody = Buffer.from(envelope.body, envelope.bodyEncoding === 'base64' ? 'base64' : 'utf8');
  let parsed: { value: unknown } | undefined;
  return {
    id: envelope.id,
    type: envelope.type,
    provider: envelope.provider,
    receivedAt: new Date(envelope.receivedAt),
    rawBody,
    contentType: envelope.contentType,
    json<T>(): T {
      parsed ??= { value: JSON.parse(jsonText(rawBody, envelope.jsonField)) as unknown };
      return parsed.value as T;
    },
    delivery: {
      messageId: record.messageId,
      groupId: record.attributes?.MessageGroupId,
      receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? '1'),
    },
  };
}

/** The JSON text of a body: the body itself, or the one value of `field` in a form-encoded body. */
function jsonText(rawBody: Buffer, field: string | undefined): string {
  const text = rawBody.toString('utf8');
  if (field === undefined) return text;
  const values = new URLSearchParams(text).getAll(field);
  if (values.length !== 1) throw new SyntaxError(`the form carries ${values.length} "${field}" fields, not one`);
  return values[0];
}
