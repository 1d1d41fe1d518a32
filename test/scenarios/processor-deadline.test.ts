import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { webhookProcessor } from '../../lambda/runtime';
import { ENVELOPE_VERSION, TABLE, type WebhookEnvelope } from '../../lambda/shared/contract';
import { createIdempotencyTable, dynamoDb } from '../support/aws';

/**
 * An invocation that claims an event at its deadline (getRemainingTimeInMillis() === 0) and is
 * stopped there. In the emulator this is routine under CPU starvation: a batch runs past the
 * processor's Timeout, the poller fails it, and the in-process handler goes on claiming the next
 * records with 0 ms left (the "Could not determine remaining time left" warnings in the soak).
 * Powertools then stores the in-progress claim with no lease, and every redelivery fails with
 * "already in progress" until the record's 7-day expiry: the event is never processed.
 */
describe('processor runtime: a claim made at the invocation deadline', () => {
  let client: DynamoDBClient;
  let tableName: string;
  beforeAll(async () => {
    client = dynamoDb();
    tableName = await createIdempotencyTable(client, 'deadline');
  });

  const context = (remainingMs: number) => ({ functionName: 'fn', awsRequestId: 'r', getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;
  const event = (eventId: string, n: number): SQSEvent => {
    const envelope: WebhookEnvelope = { v: ENVELOPE_VERSION, id: eventId, type: 't', provider: 'stripe', receivedAt: new Date(0).toISOString(), body: '{}', bodyEncoding: 'utf8' };
    return {
      Records: [{
        messageId: `m-${n}`, receiptHandle: `rh-${n}`, body: JSON.stringify(envelope), messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q.fifo', awsRegion: 'us-east-1',
        attributes: { ApproximateReceiveCount: String(n), SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0', MessageGroupId: 'g', MessageDeduplicationId: eventId, SequenceNumber: String(n) },
      }],
    } as SQSEvent;
  };

  test('the lease still ends with the invocation, so the redelivery runs the event', async () => {
    let release!: () => void;
    const stopped = new Promise<void>((resolve) => (release = resolve));
    const runs: number[] = [];
    const handler = webhookProcessor(async (webhook) => {
      runs.push(webhook.delivery.receiveCount);
      if (webhook.delivery.receiveCount === 1) await stopped; // the stopped invocation never returns
    }, { tableName, processorName: 'deadline', dynamoDbClient: client, metrics: { count: () => undefined } });

    const first = handler(event('evt_deadline', 1), context(0));
    while (runs.length === 0) await new Promise((resolve) => setTimeout(resolve, 10)); // its claim is stored
    const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    expect(Items).toHaveLength(1);
    expect(Items[0][TABLE.POWERTOOLS_STATUS]?.S).toBe('INPROGRESS');
    expect(Items[0][TABLE.POWERTOOLS_IN_PROGRESS_EXPIRY]?.N).toBeDefined(); // without the fix: no lease at all

    while (Date.now() <= Number(Items[0][TABLE.POWERTOOLS_IN_PROGRESS_EXPIRY]?.N)) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await handler(event('evt_deadline', 2), context(30_000))).toEqual({ batchItemFailures: [] });
    expect(runs).toEqual([1, 2]);
    release();
    await first;
  });
});
