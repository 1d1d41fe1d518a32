/**
 * The core of `hardened-webhooks redrive`: look at a processor's dead-letter queue without touching
 * its messages (dry run), and move them back to the processor's queue.
 */
import type { Message } from '@aws-sdk/client-sqs';
import { describeError, MoveTaskRefusedError, MoveTaskRunningError, SqsCallError } from './errors';
import { redriveLoop, type LoopOptions, type LoopOutcome, type LoopProgress } from './loop';
import { summarize, type MessageSummary } from './messages';
import {
  isMoveTaskRefused, runningMoveTask, startMoveTask, waitForMoveTask, type MoveTaskOutcome, type MoveTaskProgress, type WaitOptions,
} from './move-task';
import { checkRedrivePair, readQueue, receiveBatch, releaseMessages, type QueueCounts, type SqsApi } from './queues';

export interface InspectOptions {
  /** List at most this many messages. @default 100 */
  readonly maxMessages?: number;
  /**
   * How long the listed messages stay invisible if making them visible again fails (or the process
   * dies before it can): the longest anyone waits for them. @default 30
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Long polling per receive; an empty short-polled answer may miss messages. @default 1 */
  readonly waitTimeSeconds?: number;
  readonly onProgress?: (event: { readonly kind: 'inspected'; readonly listed: number }) => void;
}

export interface DlqInspection {
  readonly queueUrl: string;
  readonly queueArn: string;
  /** SQS's approximate counts, read before listing. */
  readonly counts: QueueCounts;
  /** The listed messages in receive order (each message group in its order). No bodies. */
  readonly messages: readonly MessageSummary[];
  /** Listed messages per event type; untyped events under `(none)`. */
  readonly byType: Readonly<Record<string, number>>;
  /**
   * Whether every waiting message was listed. A FIFO queue hands out no more of a message group
   * while earlier messages of it are held, so a listing shows at most the first messages of each
   * group that fit in one receive (10); it is also cut at `maxMessages`.
   */
  readonly complete: boolean;
  /** Listed messages whose visibility could not be reset: they are back after `visibilityTimeoutSeconds`. */
  readonly notRestored: number;
}

/**
 * Lists a dead-letter queue's messages (event IDs, types, groups) for a dry run, consuming nothing.
 *
 * Each receive hides the messages and locks their message groups; they are held until the listing
 * ends (so the next receive returns other messages instead of the same ones) and then made visible
 * again at once with ChangeMessageVisibility 0, which also unlocks their groups. Nothing is deleted.
 * The only trace is one more receive in each message's ApproximateReceiveCount; a processor's
 * dead-letter queue has no redrive policy of its own, so the count moves nothing.
 */
export async function inspectDlq(sqs: SqsApi, dlqUrl: string, options: InspectOptions = {}): Promise<DlqInspection> {
  const queue = await readQueue(sqs, dlqUrl);
  const held = new Map<string, Message>();
  let drained: boolean;
  let notRestored: number;
  try {
    drained = await listInto(sqs, dlqUrl, held, options);
  } finally {
    notRestored = await releaseMessages(sqs, dlqUrl, [...held.values()]);
  }
  const messages = [...held.values()].map(summarize);
  return {
    queueUrl: dlqUrl,
    queueArn: queue.arn,
    counts: queue.counts,
    messages,
    byType: countByType(messages),
    complete: drained && messages.length >= queue.counts.visible,
    notRestored,
  };
}

/** Receives into `held` until nothing new comes back (true) or `maxMessages` are held (false). */
async function listInto(sqs: SqsApi, url: string, held: Map<string, Message>, options: InspectOptions): Promise<boolean> {
  const max = options.maxMessages ?? 100;
  while (held.size < max) {
    const batch = await receiveBatch(sqs, url, {
      maxMessages: Math.min(10, max - held.size),
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
      waitTimeSeconds: options.waitTimeSeconds ?? 1,
    });
    const before = held.size;
    // Keyed by message ID with the latest receipt: a message received again (its visibility ran
    // out during a slow listing) is listed once and released with the receipt handle SQS accepts.
    for (const message of batch) held.set(message.MessageId ?? '', message);
    if (held.size === before) return true;
    options.onProgress?.({ kind: 'inspected', listed: held.size });
  }
  return false;
}

function countByType(messages: readonly MessageSummary[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const message of messages) {
    const type = message.eventType ?? '(none)';
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

export type RedriveMode = 'auto' | 'move-task' | 'loop';

export type RedriveProgress =
  | { readonly kind: 'checked'; readonly sourceArn: string; readonly destinationArn: string; readonly counts: QueueCounts }
  | { readonly kind: 'move-task-started'; readonly taskHandle: string }
  | { readonly kind: 'fallback'; readonly reason: string }
  | { readonly kind: 'warning'; readonly message: string }
  | MoveTaskProgress
  | LoopProgress;

export interface RedriveOptions {
  /** URL of the processor's dead-letter queue. */
  readonly source: string;
  /** URL of the processor's queue; its redrive policy must name `source`. */
  readonly destination: string;
  /**
   * `move-task`: SQS's message move task only. `loop`: receive–send–delete only. `auto`: a move
   * task, or the loop when SQS refuses one (see `isMoveTaskRefused`). @default 'auto'
   */
  readonly mode?: RedriveMode;
  /** The move task's rate (MaxNumberOfMessagesPerSecond). @default - SQS chooses */
  readonly maxMessagesPerSecond?: number;
  /** Waiting for the move task. */
  readonly wait?: Omit<WaitOptions, 'onProgress'>;
  /** Tuning of the loop. */
  readonly loop?: Omit<LoopOptions, 'onProgress' | 'signal'>;
  /** Stops the loop between messages (a move task, once started, is SQS's to finish). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: RedriveProgress) => void;
}

export interface RedriveResult {
  /** How the messages were moved. */
  readonly mode: 'move-task' | 'loop';
  /** Why `auto` used the loop: SQS's refusal of the move task. */
  readonly fallbackReason?: string;
  readonly sourceArn: string;
  readonly destinationArn: string;
  /** The dead-letter queue's approximate counts before and after. */
  readonly before: QueueCounts;
  readonly after: QueueCounts;
  readonly moved: number;
  /** Messages whose send failed (loop), or that a failed or cancelled move task did not move: in the dead-letter queue. */
  readonly failed: number;
  /**
   * Sent, but their delete from the dead-letter queue failed: in both queues. Rerun within 5 minutes
   * of the send and SQS drops the resent copies; later, the processor's once-per-event record does.
   */
  readonly notDeleted: number;
  /**
   * Left in the dead-letter queue without a failure of their own: behind a failed message of their
   * group, in hand when the run stopped, or in a group locked by a message in flight (another run's,
   * or one whose visibility could not be reset). From the final count, so as approximate as it.
   */
  readonly heldBack: number;
  /** Messages in the dead-letter queue at the end, visible, in flight or delayed: `after`, summed. */
  readonly remaining: number;
  /** Everything moved: nothing failed, sent twice or held back, and the dead-letter queue is empty at the end. */
  readonly complete: boolean;
  readonly moveTask?: MoveTaskOutcome;
  readonly loop?: LoopOutcome;
}

/**
 * Moves the messages of a processor's dead-letter queue back to its queue, after checking that the
 * source is the destination's dead-letter queue and that both are FIFO.
 */
export async function redrive(sqs: SqsApi, options: RedriveOptions): Promise<RedriveResult> {
  const mode = options.mode ?? 'auto';
  const { source, destination } = await checkRedrivePair(sqs, options.source, options.destination);
  const progress = options.onProgress ?? (() => undefined);
  progress({ kind: 'checked', sourceArn: source.arn, destinationArn: destination.arn, counts: source.counts });
  const base = { sourceArn: source.arn, destinationArn: destination.arn, before: source.counts };

  let fallbackReason: string | undefined;
  if (mode !== 'loop') {
    const started = await tryMoveTask(sqs, source.arn, destination.arn, options, mode);
    if (started.outcome) {
      const after = (await readQueue(sqs, options.source)).counts;
      return { ...base, after, ...moveTaskResult(started.outcome, source.counts, after) };
    }
    fallbackReason = started.refusal;
    progress({ kind: 'fallback', reason: fallbackReason });
  }
  await ensureNoMoveTask(sqs, source.arn, progress);
  const loop = await redriveLoop(sqs, options.source, options.destination, { ...options.loop, signal: options.signal, onProgress: progress });
  const after = (await readQueue(sqs, options.source)).counts;
  return { ...base, after, ...loopResult(loop, after), ...(fallbackReason === undefined ? {} : { fallbackReason }) };
}

/** Runs a move task to its end; in `auto` mode, a refusal is returned instead of thrown. */
async function tryMoveTask(
  sqs: SqsApi, sourceArn: string, destinationArn: string, options: RedriveOptions, mode: 'auto' | 'move-task',
): Promise<{ outcome: MoveTaskOutcome; refusal?: undefined } | { outcome?: undefined; refusal: string }> {
  const requestedAt = (options.wait?.now ?? Date.now)();
  let taskHandle: string;
  try {
    taskHandle = await startMoveTask(sqs, sourceArn, destinationArn, options.maxMessagesPerSecond);
  } catch (error) {
    if (!isMoveTaskRefused(error)) throw error instanceof SqsCallError ? error : new SqsCallError('StartMessageMoveTask', sourceArn, error);
    if (mode === 'move-task') throw new MoveTaskRefusedError(sourceArn, error);
    return { refusal: describeError(error) };
  }
  options.onProgress?.({ kind: 'move-task-started', taskHandle });
  return { outcome: await waitForMoveTask(sqs, sourceArn, taskHandle, requestedAt, { ...options.wait, onProgress: options.onProgress }) };
}

/**
 * The loop must not run beside a move task of the same queue: two movers would interleave a
 * group's messages. A listing refused for want of permission is reported and the loop goes on.
 */
async function ensureNoMoveTask(sqs: SqsApi, sourceArn: string, progress: (event: RedriveProgress) => void): Promise<void> {
  try {
    const running = await runningMoveTask(sqs, sourceArn);
    if (running) throw new MoveTaskRunningError(sourceArn, running.DestinationArn);
  } catch (error) {
    if (!(error instanceof SqsCallError)) throw error;
    progress({ kind: 'warning', message: `could not check for a running move task: ${error.message}` });
  }
}

type Outcome = Pick<RedriveResult, 'mode' | 'moved' | 'failed' | 'notDeleted' | 'heldBack' | 'remaining' | 'complete' | 'moveTask' | 'loop'>;

function moveTaskResult(outcome: MoveTaskOutcome, before: QueueCounts, after: QueueCounts): Outcome {
  const completed = outcome.status === 'COMPLETED';
  // SQS reports how many it meant to move; what a failed or cancelled task did not move is still in the queue.
  const failed = completed ? 0 : Math.max(0, (outcome.toMove ?? before.visible) - outcome.moved);
  const remaining = total(after);
  const heldBack = Math.max(0, remaining - failed);
  return { mode: 'move-task', moved: outcome.moved, failed, notDeleted: 0, heldBack, remaining, complete: completed && remaining === 0, moveTask: outcome };
}

function loopResult(loop: LoopOutcome, after: QueueCounts): Outcome {
  const remaining = total(after);
  // The loop counts what it received and left unsent; the rest of a locked group it never received
  // (behind a held message, or one in flight since another run) only the queue's count shows.
  const heldBack = Math.max(loop.held, remaining - loop.failed - loop.notDeleted);
  const complete = loop.failed === 0 && loop.notDeleted === 0 && heldBack === 0 && loop.stopped === undefined && remaining === 0;
  return { mode: 'loop', moved: loop.moved, failed: loop.failed, notDeleted: loop.notDeleted, heldBack, remaining, complete, loop };
}

/**
 * Messages a queue holds by SQS's counts. An empty receive does not mean an empty queue: a FIFO
 * queue hands out nothing of a group with a message in flight, and nothing delayed.
 */
function total(counts: QueueCounts): number {
  return counts.visible + counts.inFlight + counts.delayed;
}
