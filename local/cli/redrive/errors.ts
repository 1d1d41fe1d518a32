/**
 * Errors of `hardened-webhooks redrive`. Each has a stable `code` the CLI can map to an exit status,
 * and a message an operator can act on: what was asked, what exists instead, what to do next.
 * Messages name stacks, processors, queues and event IDs only; never message bodies or credentials.
 */

/** Base class: every error the redrive core throws on purpose. */
export abstract class RedriveError extends Error {
  public abstract readonly code: string;

  protected constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A short list for a message: at most `limit` items, then how many more. */
export function listing(items: readonly string[], limit = 20): string {
  if (items.length === 0) return '(none)';
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown} and ${items.length - limit} more` : shown;
}

/** `name: message` of an AWS SDK error (or anything thrown), for messages and progress reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export class StackNotFoundError extends RedriveError {
  public readonly code = 'STACK_NOT_FOUND';

  /** `existing` is undefined when the stacks could not be listed (e.g. no cloudformation:ListStacks). */
  public constructor(public readonly stackName: string, public readonly existing: readonly string[] | undefined, options?: { cause?: unknown }) {
    super(
      `stack "${stackName}" does not exist in this account and Region. `
        + (existing === undefined ? 'The stacks could not be listed.' : `Stacks here: ${listing(existing)}.`),
      options,
    );
  }
}

/** The stack exists but holds no processor of a HardenedWebhookEndpoint. */
export class NoEndpointError extends RedriveError {
  public readonly code = 'NO_ENDPOINT';

  public constructor(
    public readonly stackName: string,
    public readonly queues: readonly string[],
    public readonly nestedStacks: readonly string[],
  ) {
    super(
      `stack "${stackName}" has no HardenedWebhookEndpoint processor (no FIFO queue with a FIFO dead-letter queue that the`
        + ` construct created). Its SQS queues: ${listing(queues)}.`
        + (nestedStacks.length > 0 ? ` It has nested stacks, which are searched only when named: ${listing(nestedStacks)}.` : ''),
    );
  }
}

export class ProcessorNotFoundError extends RedriveError {
  public readonly code = 'PROCESSOR_NOT_FOUND';

  public constructor(public readonly stackName: string, public readonly processor: string, public readonly available: readonly string[]) {
    super(`stack "${stackName}" has no processor "${processor}". Processors: ${listing(available)}.`);
  }
}

/** A processor name that several endpoints of the stack use (names are unique per endpoint only). */
export class AmbiguousProcessorError extends RedriveError {
  public readonly code = 'AMBIGUOUS_PROCESSOR';

  public constructor(public readonly stackName: string, public readonly processor: string, public readonly matches: readonly string[]) {
    super(`"${processor}" names more than one processor in stack "${stackName}": ${listing(matches)}. Give it as <endpoint>/<processor>.`);
  }
}

/** The stack's template or resources cannot be read as expected (not JSON, a queue without a physical ID, …). */
export class StackReadError extends RedriveError {
  public readonly code = 'STACK_UNREADABLE';

  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class QueueNotFoundError extends RedriveError {
  public readonly code = 'QUEUE_NOT_FOUND';

  public constructor(public readonly queueUrl: string, options?: { cause?: unknown }) {
    super(`queue ${queueUrl} does not exist (or is not visible to these credentials)`, options);
  }
}

export class NotFifoQueueError extends RedriveError {
  public readonly code = 'NOT_FIFO';

  public constructor(public readonly role: 'source' | 'destination', public readonly queueUrl: string) {
    super(`the ${role} queue ${queueUrl} is not a FIFO queue: a processor's queue and dead-letter queue are both FIFO, and a FIFO dead-letter queue can only be redriven to a FIFO queue`);
  }
}

/** The source is not the dead-letter queue of the destination: redriving would deliver events to another processor. */
export class NotDeadLetterQueueError extends RedriveError {
  public readonly code = 'NOT_ITS_DLQ';

  public constructor(
    public readonly sourceArn: string,
    public readonly destinationArn: string,
    public readonly actualDeadLetterQueueArn: string | undefined,
  ) {
    super(
      `${sourceArn} is not the dead-letter queue of ${destinationArn} (whose dead-letter queue is `
        + `${actualDeadLetterQueueArn ?? 'not set'}): messages are only moved back to the queue they failed in`,
    );
  }
}

/** A message move task of the source queue is already running; a second mover would interleave with it. */
export class MoveTaskRunningError extends RedriveError {
  public readonly code = 'MOVE_TASK_RUNNING';

  public constructor(public readonly sourceArn: string, public readonly destinationArn: string | undefined) {
    super(
      `a message move task is already running on ${sourceArn}`
        + (destinationArn ? ` (to ${destinationArn})` : '')
        + '. Wait for it to finish or cancel it (aws sqs cancel-message-move-task) before redriving again.',
    );
  }
}

/** Mode `move-task` was asked for and SQS refused the task (see `isMoveTaskRefused`). */
export class MoveTaskRefusedError extends RedriveError {
  public readonly code = 'MOVE_TASK_REFUSED';

  public constructor(public readonly sourceArn: string, cause: unknown) {
    super(`SQS refused a message move task from ${sourceArn}: ${describeError(cause)}. Use mode "loop" (or "auto") to move the messages one by one.`, { cause });
  }
}

/** The move task was still running at the deadline. It keeps running in SQS: nothing was cancelled. */
export class MoveTaskTimeoutError extends RedriveError {
  public readonly code = 'MOVE_TASK_TIMEOUT';

  public constructor(public readonly taskHandle: string, public readonly moved: number, public readonly timeoutMs: number) {
    super(
      `the message move task was still running after ${Math.round(timeoutMs / 1000)} s (${moved} messages moved so far). `
        + `It goes on in SQS; follow it with ListMessageMoveTasks or stop it with CancelMessageMoveTask (task handle ${taskHandle}).`,
    );
  }
}

/** An SQS call the redrive cannot go on without failed for a reason other than the ones above. */
export class SqsCallError extends RedriveError {
  public readonly code = 'SQS_CALL_FAILED';

  public constructor(public readonly operation: string, public readonly queue: string, cause: unknown) {
    super(`${operation} on ${queue} failed: ${describeError(cause)}`, { cause });
  }
}
