import {
  ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { NotDeadLetterQueueError, NotFifoQueueError, QueueNotFoundError, SqsCallError } from './errors';
import { SYSTEM_ATTRIBUTES } from './messages';

/** The SQS client the redrive uses: an `SQSClient`, or anything that sends its commands the same way (tests wrap one). */
export type SqsApi = Pick<SQSClient, 'send'>;

/** A queue's approximate message counts (SQS's own, eventually consistent). */
export interface QueueCounts {
  /** ApproximateNumberOfMessages: waiting to be received. */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible: received and not yet deleted (in flight). */
  readonly inFlight: number;
  /** ApproximateNumberOfMessagesDelayed. */
  readonly delayed: number;
}

export interface QueueState {
  readonly url: string;
  readonly arn: string;
  readonly fifo: boolean;
  readonly counts: QueueCounts;
  /** The queue's dead-letter queue, if it has a redrive policy. */
  readonly deadLetterTargetArn?: string;
}

export async function readQueue(sqs: SqsApi, url: string): Promise<QueueState> {
  let attributes: Record<string, string>;
  try {
    attributes = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
  } catch (error) {
    if (isMissingQueue(error)) throw new QueueNotFoundError(url, { cause: error });
    throw new SqsCallError('GetQueueAttributes', url, error);
  }
  const count = (name: string) => Number(attributes[name] ?? 0);
  return {
    url,
    arn: attributes.QueueArn ?? '',
    fifo: attributes.FifoQueue === 'true',
    counts: {
      visible: count('ApproximateNumberOfMessages'),
      inFlight: count('ApproximateNumberOfMessagesNotVisible'),
      delayed: count('ApproximateNumberOfMessagesDelayed'),
    },
    deadLetterTargetArn: deadLetterTarget(attributes.RedrivePolicy),
  };
}

function deadLetterTarget(policy: string | undefined): string | undefined {
  if (!policy) return undefined;
  try {
    const target = (JSON.parse(policy) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
    return typeof target === 'string' ? target : undefined;
  } catch {
    return undefined;
  }
}

/** SQS names a missing queue `QueueDoesNotExist` (JSON protocol) or `AWS.SimpleQueueService.NonExistentQueue` (query). */
function isMissingQueue(error: unknown): boolean {
  const name = (error as { name?: unknown })?.name;
  return name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue';
}

/** The two queues of a redrive, once checked. */
export interface RedrivePair {
  readonly source: QueueState;
  readonly destination: QueueState;
}

/**
 * Checks that `source` is the dead-letter queue of `destination` (so events go back to the
 * processor they failed in, never to another) and that both are FIFO (a processor's queues are; a
 * FIFO dead-letter queue can only be redriven to a FIFO queue, and the loop needs message groups).
 */
export async function checkRedrivePair(sqs: SqsApi, sourceUrl: string, destinationUrl: string): Promise<RedrivePair> {
  const [source, destination] = await Promise.all([readQueue(sqs, sourceUrl), readQueue(sqs, destinationUrl)]);
  if (!source.fifo) throw new NotFifoQueueError('source', sourceUrl);
  if (!destination.fifo) throw new NotFifoQueueError('destination', destinationUrl);
  if (destination.deadLetterTargetArn !== source.arn) throw new NotDeadLetterQueueError(source.arn, destination.arn, destination.deadLetterTargetArn);
  return { source, destination };
}

export interface ReceiveOptions {
  readonly maxMessages: number;
  readonly visibilityTimeoutSeconds: number;
  readonly waitTimeSeconds: number;
}

/** One ReceiveMessage with every attribute the listing and the resend need. */
export async function receiveBatch(sqs: SqsApi, url: string, options: ReceiveOptions): Promise<Message[]> {
  try {
    const result = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: options.maxMessages,
      VisibilityTimeout: options.visibilityTimeoutSeconds,
      WaitTimeSeconds: options.waitTimeSeconds,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
      // On a FIFO queue, an SDK retry of a receive whose answer was lost returns the same messages
      // with this ID, instead of leaving them (and their groups) locked until the timeout.
      ReceiveRequestAttemptId: randomUUID(),
    }));
    return result.Messages ?? [];
  } catch (error) {
    throw new SqsCallError('ReceiveMessage', url, error);
  }
}

/**
 * Makes received messages visible again at once (visibility timeout 0), which also unlocks their
 * message groups. Returns how many could not be released: those come back by themselves when
 * their visibility timeout ends.
 */
export async function releaseMessages(sqs: SqsApi, url: string, messages: readonly Message[]): Promise<number> {
  let failed = 0;
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    try {
      const result = await sqs.send(new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: chunk.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 })),
      }));
      failed += result.Failed?.length ?? 0;
    } catch {
      failed += chunk.length;
    }
  }
  return failed;
}
