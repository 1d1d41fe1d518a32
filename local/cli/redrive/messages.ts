import { createHash } from 'node:crypto';
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { ENVELOPE_VERSION, MESSAGE_ATTRIBUTES } from '../../../lambda/shared/contract';

/**
 * What an operator may see of a dead-lettered message. Never its body: the body is the provider's
 * payload, which can hold personal data or credentials a provider put in it.
 */
export interface MessageSummary {
  /** The message's ID in the dead-letter queue. */
  readonly messageId: string;
  /** The provider's event ID (the `hw-event-id` attribute, else the envelope's `id`). */
  readonly eventId?: string;
  readonly eventType?: string;
  readonly provider?: string;
  readonly groupId?: string;
  /** Receives so far, counting the processor's and any inspection's. */
  readonly receiveCount?: number;
  /** When the message was sent to the queue it is in (ISO 8601). */
  readonly sentAt?: string;
}

/** System attributes every receive asks for: the group to keep, the rest for the listing. */
export const SYSTEM_ATTRIBUTES = ['MessageGroupId', 'ApproximateReceiveCount', 'SentTimestamp'] as const;

export function summarize(message: Message): MessageSummary {
  const attributes = message.MessageAttributes ?? {};
  const envelope = attributes[MESSAGE_ATTRIBUTES.EVENT_ID] ? undefined : envelopeOf(message.Body);
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount);
  const sentAt = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId ?? '',
    eventId: attributes[MESSAGE_ATTRIBUTES.EVENT_ID]?.StringValue ?? envelope?.id,
    eventType: attributes[MESSAGE_ATTRIBUTES.EVENT_TYPE]?.StringValue ?? envelope?.type,
    provider: attributes[MESSAGE_ATTRIBUTES.PROVIDER]?.StringValue ?? envelope?.provider,
    groupId: message.Attributes?.MessageGroupId,
    receiveCount: Number.isFinite(receiveCount) ? receiveCount : undefined,
    sentAt: Number.isFinite(sentAt) && sentAt > 0 ? new Date(sentAt).toISOString() : undefined,
  };
}

/** ID, type and provider of a body that is the construct's envelope; anything else yields nothing. */
function envelopeOf(body: string | undefined): { id?: string; type?: string; provider?: string } | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as { v?: unknown; id?: unknown; type?: unknown; provider?: unknown };
    if (parsed?.v !== ENVELOPE_VERSION) return undefined;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    return { id: text(parsed.id), type: text(parsed.type), provider: text(parsed.provider) };
  } catch {
    return undefined;
  }
}

/**
 * The message attributes to send again, exactly as received. SQS returns them with the same data
 * types; the list fields it returns are reserved and never set by the verifier.
 */
export function attributesToResend(message: Message): Record<string, MessageAttributeValue> | undefined {
  const received = message.MessageAttributes;
  if (received === undefined || Object.keys(received).length === 0) return undefined;
  const copy: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(received)) {
    copy[name] = {
      DataType: value.DataType,
      ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
    };
  }
  return copy;
}

/** SQS's limit on a deduplication ID, and the characters it accepts. */
const MAX_DEDUP_ID = 128;
const NOT_DEDUP_CHAR = /[^\x21-\x7e]/g;

/**
 * The deduplication ID of a redriven message: `<eventId>#redrive-<dlqMessageId>`, the same whenever
 * the same dead-lettered message is sent.
 *
 * Not the event ID the verifier used: the processor's queue deduplicates for 5 minutes after a send,
 * even once the message has left it, so a message that failed fast and is redriven within those
 * 5 minutes would be accepted by SendMessage (with the first send's message ID) and silently
 * dropped — and the redrive would then delete it from the dead-letter queue: lost. The dead-letter
 * message ID prevents that: every send makes a new message, so an event that was redriven, failed
 * again and was dead-lettered again is in the dead-letter queue under a new message ID, and its next
 * redrive has a new deduplication ID.
 *
 * The same ID for the same dead-lettered message, in this run or any other: a second send of it
 * within 5 minutes of the first (an SDK retry of a send whose answer was lost, or a rerun after its
 * delete from the dead-letter queue failed) is accepted and dropped by SQS, so the group holds it
 * once, in its place. Sent again later than that, it is a second copy behind the group's later
 * messages; the processor's once-per-event record absorbs it (the event runs once), which is why a
 * run reports the messages it sent but could not delete, for a rerun within the 5 minutes.
 *
 * The event ID leads, for whoever reads it in a trace; it is cut to fit.
 */
export function redriveDeduplicationId(summary: Pick<MessageSummary, 'eventId' | 'messageId'>): string {
  const messageKey = /^[A-Za-z0-9-]{1,40}$/.test(summary.messageId)
    ? summary.messageId
    : createHash('sha256').update(summary.messageId, 'utf8').digest('hex').slice(0, 32);
  const suffix = `#redrive-${messageKey}`;
  const head = (summary.eventId ?? 'message').replace(NOT_DEDUP_CHAR, '_');
  return `${head.slice(0, Math.max(0, MAX_DEDUP_ID - suffix.length))}${suffix}`;
}
