/**
 * Redrive by hand, for where SQS refuses a move task: receive a batch from the dead-letter queue,
 * send each message to the processor's queue, delete it from the dead-letter queue once the send
 * succeeded.
 *
 * Order: a FIFO receive hands out a message group's messages in order and no more of that group
 * until those are deleted or visible again; the loop sends the messages of a batch one at a time in
 * receive order. So each group arrives in the destination in its dead-letter order.
 *
 * Failures: a message whose send fails stays in the dead-letter queue, and so do the messages after
 * it in its group — sending those would overtake it. They are held (left in flight) until the run
 * ends, which keeps their group locked so no later receive hands out the rest of it, then made
 * visible again for the next run. Other groups go on.
 *
 * A message whose delete fails after its send is in both queues. It is made visible again at the end
 * too, so that a rerun can finish it at once: the rerun sends it under the same deduplication ID
 * (see {@link redriveDeduplicationId}), which SQS drops within 5 minutes of the first send.
 */
import { DeleteMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { describeError } from './errors';
import { attributesToResend, redriveDeduplicationId, summarize, type MessageSummary } from './messages';
import { receiveBatch, releaseMessages, type SqsApi } from './queues';

/** A message the run could not move. */
export interface RedriveFailure {
  readonly message: MessageSummary;
  /**
   * `send`: not sent, still in the dead-letter queue. `delete`: sent, but still in the dead-letter
   * queue too, visible again once the run ends. Redriven again within 5 minutes of the send, SQS
   * drops the copy (same deduplication ID); later, the copy is delivered again, after its group's
   * later messages, and the processor's once-per-event record skips it.
   */
  readonly stage: 'send' | 'delete';
  readonly error: string;
}

export type LoopProgress =
  | { readonly kind: 'moved'; readonly message: MessageSummary; readonly moved: number }
  | { readonly kind: 'failed'; readonly failure: RedriveFailure }
  | { readonly kind: 'held'; readonly message: MessageSummary; readonly reason: string };

export interface LoopOptions {
  /**
   * How long a received batch stays invisible to others: enough to send and delete 10 messages,
   * short enough that a crashed run's messages come back soon. @default 60
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Long polling for each receive. An empty short-polled answer can miss messages; an empty
   * long-polled one means the queue is empty (or every group left is held). @default 2
   */
  readonly waitTimeSeconds?: number;
  /** Stop receiving after this many sends in a row failed (the destination is likely down). @default 5 */
  readonly maxConsecutiveFailures?: number;
  /** Stops the run between messages; the messages in hand are released (made visible again). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: LoopProgress) => void;
}

export interface LoopOutcome {
  /** Sent to the destination and deleted from the dead-letter queue. */
  readonly moved: number;
  /** Sends that failed (left in the dead-letter queue). */
  readonly failed: number;
  /**
   * Received but left unsent in the dead-letter queue: behind a failed message of their group, or in
   * hand when the run stopped. (The rest of a held group the run never received is not counted here.)
   */
  readonly held: number;
  /** Sent, but their delete failed: in both queues (see {@link RedriveFailure.stage}). */
  readonly notDeleted: number;
  readonly failures: readonly RedriveFailure[];
  /** Why the run stopped before the dead-letter queue was empty, if it did. */
  readonly stopped?: 'aborted' | 'too-many-failures';
  /** Messages in hand whose visibility could not be reset: they come back after the visibility timeout. */
  readonly unreleased: number;
}

/** What happened to one message. */
type Step = 'moved' | 'failed' | 'held' | 'not-deleted';

/** State of one run, shared by the steps. */
interface Run {
  readonly sqs: SqsApi;
  readonly source: string;
  readonly destination: string;
  readonly options: LoopOptions;
  /** Groups with a failed send in this run: their later messages must not overtake it. */
  readonly blockedGroups: Set<string>;
  /** Dead-letter message IDs already sent in this run (a failed delete brings one back). */
  readonly sent: Set<string>;
  /** Received messages still in the dead-letter queue, to make visible again when the run ends. */
  readonly toRelease: Message[];
  readonly failures: RedriveFailure[];
  readonly counts: Record<Step, number>;
}

/** Moves every message of `source` (a FIFO dead-letter queue) to `destination`, group order kept. */
export async function redriveLoop(sqs: SqsApi, source: string, destination: string, options: LoopOptions = {}): Promise<LoopOutcome> {
  const run: Run = {
    sqs, source, destination, options,
    blockedGroups: new Set(),
    sent: new Set(),
    toRelease: [],
    failures: [],
    counts: { 'moved': 0, 'failed': 0, 'held': 0, 'not-deleted': 0 },
  };
  let stopped: LoopOutcome['stopped'];
  let unreleased: number;
  try {
    stopped = await drain(run);
  } finally {
    // Also on an error: the messages in hand must not stay invisible longer than needed.
    unreleased = await releaseMessages(sqs, source, run.toRelease);
  }
  return {
    moved: run.counts.moved,
    failed: run.counts.failed,
    held: run.counts.held,
    notDeleted: run.counts['not-deleted'],
    failures: run.failures,
    stopped,
    unreleased,
  };
}

/** Receives and redrives batches until the queue has nothing more to hand out, or the run must stop. */
async function drain(run: Run): Promise<LoopOutcome['stopped']> {
  const maxFailures = run.options.maxConsecutiveFailures ?? 5;
  let consecutiveFailures = 0;
  for (;;) {
    if (run.options.signal?.aborted) return 'aborted';
    const batch = await receiveBatch(run.sqs, run.source, {
      maxMessages: 10,
      visibilityTimeoutSeconds: run.options.visibilityTimeoutSeconds ?? 60,
      waitTimeSeconds: run.options.waitTimeSeconds ?? 2,
    });
    if (batch.length === 0) return undefined;
    for (const [index, message] of batch.entries()) {
      if (run.options.signal?.aborted) {
        // Not sent: back to the queue at once with the held ones.
        hold(run, batch.slice(index));
        return 'aborted';
      }
      const step = await redriveOne(run, message);
      run.counts[step]++;
      consecutiveFailures = step === 'failed' ? consecutiveFailures + 1 : step === 'moved' ? 0 : consecutiveFailures;
      if (consecutiveFailures >= maxFailures) {
        hold(run, batch.slice(index + 1));
        return 'too-many-failures';
      }
    }
  }
}

async function redriveOne(run: Run, message: Message): Promise<Step> {
  const summary = summarize(message);
  const group = message.Attributes?.MessageGroupId;
  if (group !== undefined && run.blockedGroups.has(group)) {
    run.toRelease.push(message);
    run.options.onProgress?.({ kind: 'held', message: summary, reason: 'an earlier message of its group failed' });
    return 'held';
  }
  // A message sent earlier in this run whose delete failed: only the delete is left to do.
  if (!run.sent.has(summary.messageId)) {
    const sendError = await send(run, message, summary, group);
    if (sendError !== undefined) return fail(run, message, summary, group, 'send', sendError);
    run.sent.add(summary.messageId);
  }
  try {
    await run.sqs.send(new DeleteMessageCommand({ QueueUrl: run.source, ReceiptHandle: message.ReceiptHandle }));
  } catch (error) {
    return fail(run, message, summary, group, 'delete', error);
  }
  run.options.onProgress?.({ kind: 'moved', message: summary, moved: run.counts.moved + 1 });
  return 'moved';
}

/** Sends a copy: same body, group and message attributes, the redrive's deduplication ID. Returns the error, if any. */
async function send(run: Run, message: Message, summary: MessageSummary, group: string | undefined): Promise<unknown> {
  if (group === undefined) return new Error('the message has no MessageGroupId, so it is not from a FIFO queue');
  try {
    await run.sqs.send(new SendMessageCommand({
      QueueUrl: run.destination,
      MessageBody: message.Body,
      MessageGroupId: group,
      MessageDeduplicationId: redriveDeduplicationId(summary),
      MessageAttributes: attributesToResend(message),
    }));
    return undefined;
  } catch (error) {
    return error ?? new Error('send failed');
  }
}

function fail(run: Run, message: Message, summary: MessageSummary, group: string | undefined, stage: RedriveFailure['stage'], error: unknown): Step {
  const failure: RedriveFailure = { message: summary, stage, error: describeError(error) };
  run.failures.push(failure);
  run.options.onProgress?.({ kind: 'failed', failure });
  // Sent already: the group goes on (the message is in its place in the destination), and its copy
  // is released with the rest so that a rerun can delete it within the deduplication window.
  run.toRelease.push(message);
  if (stage === 'delete') return 'not-deleted';
  // Unsent: hold it, which keeps its group locked, and hold whatever of the group comes after it.
  if (group !== undefined) run.blockedGroups.add(group);
  return 'failed';
}

/** Unsent messages in hand when the run stops: counted as held and released with the rest. */
function hold(run: Run, messages: readonly Message[]): void {
  run.toRelease.push(...messages);
  run.counts.held += messages.length;
}
