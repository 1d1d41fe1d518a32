import type { SQSRecord } from 'aws-lambda';
import { ENVELOPE_VERSION, type WebhookEnvelope } from '../shared/contract';
import { HandlerError } from '../shared/errors';

/** A verified webhook event, as a processor receives it. */
export interface WebhookEvent {
  /** The provider's event ID; the handler runs once per (processor, id), and once per replay of it. */
  readonly id: string;
  /** The event type, when the provider gives one. */
  readonly type?: string;
  /** The provider scheme that verified it, e.g. `stripe`. */
  readonly provider: string;
  /** When the verifier accepted the request (for a replay, the original's time). */
  readonly receivedAt: Date;
  /**
   * The exact bytes the provider signed, whether they travelled inside the message or, too large
   * for it, were read from the endpoint's event bucket and checked against the message.
   */
  readonly rawBody: Buffer;
  readonly contentType?: string;
  /**
   * The body parsed as JSON (parsed on first call). For a form-encoded body that carries its JSON in
   * one field (GitHub `content_type: form`, Slack interactivity), that field parsed as JSON.
   */
  json<T = unknown>(): T;
  /**
   * Set when the event was sent again from the archive (`hardened-webhooks replay`): the replay's
   * ID, chosen by whoever replayed it, and when the replay was requested. Absent on the original.
   */
  readonly replay?: { readonly id: string; readonly at: Date };
  /** The SQS delivery that carried it. */
  readonly delivery: { readonly messageId: string; readonly groupId?: string; readonly receiveCount: number };
}

/** The message is not a hardened-webhooks envelope this runtime understands. */
export class UnknownEnvelopeError extends HandlerError {
  /**
   * @param problem what is wrong with a field this version defines, when the message is an envelope
   *   of the right version otherwise
   */
  public constructor(messageId: string, options?: { cause?: unknown; problem?: string }) {
    const problem = options?.problem === undefined ? '' : `: ${options.problem}`;
    super('UnknownEnvelopeError', `message ${messageId} is not a hardened-webhooks envelope of version ${ENVELOPE_VERSION}${problem}`, options);
  }
}

/**
 * The envelope an SQS record carries, checked field by field: what the processor keys its
 * once-per-event record on and builds the event from. Throws {@link UnknownEnvelopeError}.
 */
export function readEnvelope(record: SQSRecord): WebhookEnvelope {
  let envelope: WebhookEnvelope;
  try {
    envelope = JSON.parse(record.body) as WebhookEnvelope;
  } catch (error) {
    throw new UnknownEnvelopeError(record.messageId, { cause: error });
  }
  if (envelope?.v !== ENVELOPE_VERSION || typeof envelope.id !== 'string' || typeof envelope.body !== 'string') {
    throw new UnknownEnvelopeError(record.messageId);
  }
  const problem = idProblem(envelope) ?? bodyReferenceProblem(envelope) ?? replayProblem(envelope);
  if (problem !== undefined) throw new UnknownEnvelopeError(record.messageId, { problem });
  return envelope;
}

/**
 * The event the handler receives. `rawBody` defaults to the body inside the message; an envelope
 * whose body is kept in S3 needs the fetched, checked bytes (see `./body`).
 */
export function toWebhookEvent(record: SQSRecord, envelope: WebhookEnvelope = readEnvelope(record), rawBody: Buffer = inlineBody(record.messageId, envelope)): WebhookEvent {
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
    ...(envelope.replay ? { replay: { id: envelope.replay.id, at: new Date(envelope.replay.at) } } : {}),
    delivery: {
      messageId: record.messageId,
      groupId: record.attributes?.MessageGroupId,
      receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? '1'),
    },
  };
}

/** The bytes of a body that travelled inside its message. */
function inlineBody(messageId: string, envelope: WebhookEnvelope): Buffer {
  // An empty body here would hand the handler nothing in place of the event: a caller that forgot
  // to fetch the object is a bug, not an event.
  if (envelope.bodyRef) throw new TypeError(`message ${messageId} keeps its body in S3: fetch and check it before building the event`);
  return Buffer.from(envelope.body, envelope.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}

/** The JSON text of a body: the body itself, or the one value of `field` in a form-encoded body. */
function jsonText(rawBody: Buffer, field: string | undefined): string {
  const text = rawBody.toString('utf8');
  if (field === undefined) return text;
  const values = new URLSearchParams(text).getAll(field);
  if (values.length !== 1) throw new SyntaxError(`the form carries ${values.length} "${field}" fields, not one`);
  return values[0];
}

// The checks below describe the first problem they find, naming the field and the value found.

/** An empty ID would key every such message to one record (the verifier never sends one). */
function idProblem(envelope: WebhookEnvelope): string | undefined {
  return envelope.id === '' ? 'id is empty' : undefined;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function bodyReferenceProblem(envelope: WebhookEnvelope): string | undefined {
  if (envelope.bodyRef === undefined) return undefined;
  const ref: unknown = envelope.bodyRef;
  if (!isObject(ref)) return `bodyRef is ${shown(ref)}, not an object`;
  if (typeof ref.bucket !== 'string' || ref.bucket === '') return `bodyRef.bucket is ${shown(ref.bucket)}, not a bucket name`;
  if (typeof ref.key !== 'string' || ref.key === '') return `bodyRef.key is ${shown(ref.key)}, not an object key`;
  if (typeof ref.bytes !== 'number' || !Number.isSafeInteger(ref.bytes) || ref.bytes < 0) return `bodyRef.bytes is ${shown(ref.bytes)}, not a whole number of bytes`;
  if (typeof ref.sha256 !== 'string' || !SHA256_HEX.test(ref.sha256)) return `bodyRef.sha256 is ${shown(ref.sha256)}, not a lowercase hex SHA-256`;
  // Both set would leave two candidate bodies: neither is chosen.
  if (envelope.body !== '') return `body is ${envelope.body.length} characters long beside bodyRef; it must be empty`;
  return undefined;
}

/** A replay's ID keys its own record: a marker without a usable ID must never fall back to the original's. */
function replayProblem(envelope: WebhookEnvelope): string | undefined {
  if (envelope.replay === undefined) return undefined;
  const replay: unknown = envelope.replay;
  if (!isObject(replay)) return `replay is ${shown(replay)}, not an object`;
  if (typeof replay.id !== 'string' || replay.id === '') return `replay.id is ${shown(replay.id)}, not a replay ID`;
  if (typeof replay.at !== 'string' || Number.isNaN(Date.parse(replay.at))) return `replay.at is ${shown(replay.at)}, not an ISO 8601 time`;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as JSON, cut short: enough to recognise it in a log line. */
function shown(value: unknown): string {
  const text = value === undefined ? 'missing' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
