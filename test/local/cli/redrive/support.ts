/**
 * Shared set-up of the redrive tests: a processor's queue pair in moto, as the construct declares
 * it, and dead-lettered messages in the construct's format (built by the verifier's own encoder).
 */
import {
  ChangeMessageVisibilityBatchCommand, CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand,
  SQSClient, type Message,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { Dispatcher, encodeMessage, type Delivery } from '../../../../lambda/verifier/dispatch';
import { safeId } from '../../../../lambda/verifier/claims';
import type { SqsApi } from '../../../../local/cli/redrive';
import { sqs, uniqueName } from '../../../support/aws';

export interface QueuePair {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

/** A processor's FIFO queue and FIFO dead-letter queue with the construct's settings, maxReceiveCount 1. */
export async function createProcessorQueues(client: SQSClient, prefix = 'redrive'): Promise<QueuePair> {
  const name = uniqueName(prefix).slice(0, 60);
  const dlqUrl = (await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: { FifoQueue: 'true', MessageRetentionPeriod: '1209600' } }))).QueueUrl!;
  const dlqArn = await arnOf(client, dlqUrl);
  const queueUrl = (await client.send(new CreateQueueCommand({
    QueueName: `${name}.fifo`,
    Attributes: {
      FifoQueue: 'true',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }),
    },
  }))).QueueUrl!;
  return { queueUrl, queueArn: await arnOf(client, queueUrl), dlqUrl, dlqArn };
}

export async function arnOf(client: SQSClient, url: string): Promise<string> {
  return (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
}

/** A webhook event as the verifier would enqueue it. */
export function delivery(eventId: string, groupId: string, eventType?: string): Delivery {
  return {
    eventId,
    eventType,
    provider: 'stripe',
    groupId,
    // A body with something that must never show up in a listing.
    body: Buffer.from(JSON.stringify({ id: eventId, type: eventType, data: { card_secret: `SECRET-${eventId}` } })),
    contentType: 'application/json',
    receivedAtMs: Date.UTC(2025, 0, 1),
  };
}

/**
 * Dead-letters events the way production does: the verifier's Dispatcher sends them to the queue,
 * a consumer receives them and gives up (visibility 0), and the next receive moves them, having
 * reached maxReceiveCount 1, to the dead-letter queue.
 */
export async function failIntoDlq(client: SQSClient, pair: QueuePair, deliveries: readonly Delivery[]): Promise<void> {
  const dispatcher = new Dispatcher(client);
  for (const d of deliveries) await dispatcher.enqueue([{ name: 'p', queueUrl: pair.queueUrl, eventTypes: [] }], d);
  const received = await receiveAll(client, pair.queueUrl);
  for (let i = 0; i < received.length; i += 10) {
    await client.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl: pair.queueUrl,
      Entries: received.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
    }));
  }
  await client.send(new ReceiveMessageCommand({ QueueUrl: pair.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  const counts = await countsOf(client, pair.dlqUrl);
  if (counts.visible !== deliveries.length) throw new Error(`expected ${deliveries.length} messages in the DLQ, found ${counts.visible}`);
}

/** Puts events straight into the dead-letter queue, in the construct's format (as SQS would carry them there). */
export async function sendToDlq(client: SQSClient, pair: QueuePair, deliveries: readonly Delivery[]): Promise<void> {
  for (const d of deliveries) {
    const message = encodeMessage(d);
    await client.send(new SendMessageCommand({
      QueueUrl: pair.dlqUrl,
      MessageBody: message.body,
      MessageAttributes: message.attributes,
      MessageGroupId: safeId(d.groupId),
      // SQS replaces the deduplication ID of a dead-lettered FIFO message with its original message ID.
      MessageDeduplicationId: randomUUID(),
    }));
  }
}

/** Receives until the queue hands out nothing more (messages stay in flight for 30 s: callers read once). */
export async function receiveAll(client: SQSClient, url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const batch = (await client.send(new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 30,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }))).Messages ?? [];
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/**
 * Receives and deletes until the queue is empty: every message once, each group in its order. (A
 * FIFO queue hands out nothing more of a group while some of it is in flight, so `receiveAll` can
 * stop short of a group's later messages, duplicates included.)
 */
export async function drainAll(client: SQSClient, url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const batch = (await client.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'],
    }))).Messages ?? [];
    if (batch.length === 0) return all;
    all.push(...batch);
    for (const m of batch) await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
  }
}

export async function countsOf(client: SQSClient, url: string): Promise<{ visible: number; inFlight: number }> {
  const attributes = (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
  return { visible: Number(attributes.ApproximateNumberOfMessages), inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible) };
}

/** Event IDs per message group, in the order given. */
export function eventIdsByGroup(messages: readonly Message[]): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const m of messages) (groups[m.Attributes!.MessageGroupId!] ??= []).push(m.MessageAttributes!['hw-event-id'].StringValue!);
  return groups;
}

/**
 * An SQS client that fails the calls `fails` picks (before they reach moto) and passes the rest on:
 * how a mid-run failure is injected without touching the code under test.
 */
export function failingClient(real: SQSClient, fails: (command: { constructor: { name: string }; input: Record<string, unknown> }) => boolean): SqsApi {
  return {
    send: (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      if (fails(command)) {
        const error = new Error('injected failure');
        error.name = 'InternalError';
        throw error;
      }
      return real.send(command as never);
    }) as SqsApi['send'],
  };
}

export { sqs };
