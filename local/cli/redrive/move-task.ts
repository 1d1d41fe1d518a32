/**
 * SQS's own redrive: a message move task (StartMessageMoveTask), followed with ListMessageMoveTasks
 * until it ends. SQS keeps FIFO order itself and gives every moved message a new message ID.
 */
import { ListMessageMoveTasksCommand, StartMessageMoveTaskCommand, type ListMessageMoveTasksResultEntry } from '@aws-sdk/client-sqs';
import { MoveTaskTimeoutError, SqsCallError } from './errors';
import type { SqsApi } from './queues';

/**
 * Error names that mean "SQS (or the endpoint) will not run a move task for these queues", so the
 * receive–send–delete loop should do the work instead:
 *
 * - `UnsupportedOperation`: SQS refuses the operation for this queue (a partition or Region without
 *   FIFO redrive, a queue type it does not redrive).
 * - `InvalidParameterValue`: SQS refuses these ARNs as a move task's source or destination. The
 *   pair was already checked (the source is the destination's FIFO dead-letter queue), so this is
 *   SQS declining the combination, not a wrong argument.
 * - `UnknownOperation`, `InvalidAction`, `NotImplemented`: the endpoint does not know the action
 *   (an emulator, an SQS-compatible service).
 *
 * Names arrive bare (`UnsupportedOperation`), with the query protocol's prefix
 * (`AWS.SimpleQueueService.UnsupportedOperation`) or with an `Exception` suffix; all are accepted.
 * Permission errors (AccessDenied), throttling and missing queues are not refusals: they are
 * reported, because the loop would hide a misconfiguration or race a task that may have started.
 */
const REFUSALS = new Set(['UnsupportedOperation', 'InvalidParameterValue', 'UnknownOperation', 'InvalidAction', 'NotImplemented']);

/** Whether an error of StartMessageMoveTask / ListMessageMoveTasks means the endpoint refuses move tasks. */
export function isMoveTaskRefused(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  const code = typeof name === 'string' ? name.replace(/^AWS\.SimpleQueueService\./, '').replace(/Exception$/, '') : '';
  if (REFUSALS.has(code)) return true;
  const status = $metadata?.httpStatusCode;
  if (status === 501) return true;
  // moto answers an action it does not implement with HTTP 500 and an HTML page, which the SDK
  // cannot parse as an SQS error. SQS's own 500s are parseable errors (InternalError), so they stay errors.
  return status === 500 && isUnparseableResponse(error);
}

function isUnparseableResponse(error: unknown): boolean {
  const { name, message } = error as { name?: unknown; message?: unknown };
  return name === 'SyntaxError' || (typeof message === 'string' && message.includes('Deserialization error'));
}

/** Starts the task; the caller classifies a failure with {@link isMoveTaskRefused}. */
export async function startMoveTask(sqs: SqsApi, sourceArn: string, destinationArn: string, maxMessagesPerSecond?: number): Promise<string> {
  const result = await sqs.send(new StartMessageMoveTaskCommand({
    SourceArn: sourceArn,
    // Always explicit: without it SQS sends each message to whichever queue it came from.
    DestinationArn: destinationArn,
    ...(maxMessagesPerSecond === undefined ? {} : { MaxNumberOfMessagesPerSecond: maxMessagesPerSecond }),
  }));
  if (!result.TaskHandle) throw new SqsCallError('StartMessageMoveTask', sourceArn, new Error('SQS returned no task handle'));
  return result.TaskHandle;
}

/**
 * The move task running on the source queue, if any. `undefined` also when the endpoint has no move
 * tasks at all (then none can be running); other listing errors are thrown.
 */
export async function runningMoveTask(sqs: SqsApi, sourceArn: string): Promise<ListMessageMoveTasksResultEntry | undefined> {
  try {
    const result = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }));
    return (result.Results ?? []).find((task) => task.Status === 'RUNNING' || task.Status === 'CANCELLING');
  } catch (error) {
    if (isMoveTaskRefused(error)) return undefined;
    throw new SqsCallError('ListMessageMoveTasks', sourceArn, error);
  }
}

export type MoveTaskStatus = 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface MoveTaskOutcome {
  readonly taskHandle: string;
  readonly status: MoveTaskStatus;
  /** ApproximateNumberOfMessagesMoved. */
  readonly moved: number;
  /** ApproximateNumberOfMessagesToMove, counted by SQS when the task started. */
  readonly toMove?: number;
  readonly failureReason?: string;
}

export interface MoveTaskProgress {
  readonly kind: 'move-task-progress';
  readonly taskHandle: string;
  readonly status: string;
  readonly moved: number;
  readonly toMove?: number;
}

export interface WaitOptions {
  /** Give up waiting after this long (the task keeps running). @default 30 minutes */
  readonly timeoutMs?: number;
  /** First pause between polls; it grows by half each time up to `maxPollIntervalMs`. @default 1000 */
  readonly pollIntervalMs?: number;
  /** @default 10000 */
  readonly maxPollIntervalMs?: number;
  readonly onProgress?: (event: MoveTaskProgress) => void;
  /** For tests: how to wait and what time it is. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** A task's start time may be stamped by a clock a little behind ours. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Polls ListMessageMoveTasks until the task has ended, then returns how it ended. Short pauses
 * first (a small dead-letter queue is moved in seconds), longer ones later, never past the deadline.
 * Throws {@link MoveTaskTimeoutError} at the deadline; the task itself is left running.
 */
export async function waitForMoveTask(sqs: SqsApi, sourceArn: string, taskHandle: string, startedAfterMs: number, options: WaitOptions = {}): Promise<MoveTaskOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const deadline = now() + timeoutMs;
  let interval = options.pollIntervalMs ?? 1000;
  const tracker = new TaskTracker(taskHandle, startedAfterMs - CLOCK_SKEW_MS);
  for (;;) {
    const task = tracker.find(await listTasks(sqs, sourceArn));
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    if (task?.Status) options.onProgress?.({ kind: 'move-task-progress', taskHandle, status: task.Status, moved, toMove: task.ApproximateNumberOfMessagesToMove });
    if (task && isFinished(task.Status)) {
      return { taskHandle, status: task.Status, moved, toMove: task.ApproximateNumberOfMessagesToMove, failureReason: task.FailureReason };
    }
    const left = deadline - now();
    if (left <= 0) throw new MoveTaskTimeoutError(taskHandle, moved, timeoutMs);
    await sleep(Math.min(interval, left));
    interval = Math.min(options.maxPollIntervalMs ?? 10_000, Math.ceil(interval * 1.5));
  }
}

function isFinished(status: string | undefined): status is MoveTaskStatus {
  return status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';
}

async function listTasks(sqs: SqsApi, sourceArn: string): Promise<ListMessageMoveTasksResultEntry[]> {
  try {
    return (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }))).Results ?? [];
  } catch (error) {
    throw new SqsCallError('ListMessageMoveTasks', sourceArn, error);
  }
}

/**
 * Recognises one task in ListMessageMoveTasks answers. SQS shows the task handle only while a task
 * is RUNNING, so the task is also known by its start time once seen; a task that ended before the
 * first poll is the most recent one, started after our request (one task per queue at a time).
 */
class TaskTracker {
  private startedTimestamp: number | undefined;

  public constructor(private readonly taskHandle: string, private readonly notBeforeMs: number) {}

  public find(tasks: readonly ListMessageMoveTasksResultEntry[]): ListMessageMoveTasksResultEntry | undefined {
    const byHandle = tasks.find((task) => task.TaskHandle === this.taskHandle);
    if (byHandle) {
      this.startedTimestamp = byHandle.StartedTimestamp;
      return byHandle;
    }
    if (this.startedTimestamp !== undefined) return tasks.find((task) => task.StartedTimestamp === this.startedTimestamp);
    const latest = tasks[0];
    return latest && !latest.TaskHandle && (latest.StartedTimestamp ?? 0) >= this.notBeforeMs ? latest : undefined;
  }
}
