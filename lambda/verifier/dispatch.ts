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
  readonly receivedAtMs: number;
}

/** Sends the event to every matched processor's FIFO queue; the event ID is the deduplication ID. */
export class Dispatcher {
  public constructor(private readonly client: SQSClient) {}

  /** Resolves when every queue accepted the message; throws {@link DownstreamError} otherwise. */
  public async enqueue(routes: readonly ProcessorRoute[], delivery: Delivery): Promise<void> {
    const message = JSON.stringify(toEnvelope(delivery));
    const attributes = {
      [MESSAGE_ATTRIBUTES.EVENT_ID]: { DataType: 'String', StringValue: delivery.eventId },
      [MESSAGE_ATTRIBUTES.PROVIDER]: { DataType: 'String', StringValue: delivery.provider },
      ...(delivery.eventType ? { [MESSAGE_ATTRIBUTES.EVENT_TYPE]: { DataType: 'String', StringValue: delivery.eventType } } : {}),
    };
    const results = await Promise.allSettled(routes.map((route) => this.client.send(new SendMessageCommand({
      QueueUrl: route.queueUrl,
      MessageBody: message,
      MessageGroupId: safeId(delivery.groupId),
      MessageDeduplicationId: safeId(delivery.eventId),
      MessageAttributes: attributes,
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
  };
}
