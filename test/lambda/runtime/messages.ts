import { createHash } from 'node:crypto';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { ENVELOPE_VERSION, KEY_PREFIX, TABLE, type WebhookEnvelope } from '../../../lambda/shared/contract';

/** Helpers shared by the runtime's tests: SQS records carrying envelopes, Lambda contexts, the processor's records. */

/** A Lambda context with this much time left. */
export function lambdaContext(remainingMs = 30_000): Context {
  return { functionName: 'processor-fn', awsRequestId: 'r', getRemainingTimeInMillis: () => remainingMs } as unknown as Context;
}

/** The envelope the verifier sends for a small JSON body, with `changes` applied. */
export function envelopeOf(eventId: string, changes: Partial<WebhookEnvelope> = {}): WebhookEnvelope {
  return {
    v: ENVELOPE_VERSION, id: eventId, type: 'test.event', provider: 'stripe', receivedAt: new Date(0).toISOString(),
    body: JSON.stringify({ id: eventId }), bodyEncoding: 'utf8', ...changes,
  };
}

let sequence = 0;
/** An SQS FIFO record carrying `envelope` in message group `group`. */
export function sqsRecord(envelope: WebhookEnvelope, group = 'g1'): SQSRecord {
  sequence += 1;
  return {
    messageId: `m-${sequence}`,
    receiptHandle: `rh-${sequence}`,
    body: JSON.stringify(envelope),
    attributes: {
      ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: group, MessageDeduplicationId: envelope.id, SequenceNumber: String(sequence),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q.fifo',
    awsRegion: 'us-east-1',
  } as SQSRecord;
}

export const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/** The IDs of the records a batch response reports as failed. */
export const failedIds = (response: { batchItemFailures: Array<{ itemIdentifier: string }> }) => response.batchItemFailures.map((failure) => failure.itemIdentifier);

/** Lowercase hex SHA-256, as event and body digests appear in object keys. */
export const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The processor's records in the idempotency table. */
export async function recordsOf(client: DynamoDBClient, tableName: string, processorName: string) {
  const scan = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return (scan.Items ?? []).filter((item) => item[TABLE.PARTITION_KEY].S?.startsWith(`${KEY_PREFIX.PROCESSOR}${processorName}#`));
}
