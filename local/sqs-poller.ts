import {
  ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { InvokeOutcome, LambdaFunctionHost } from './lambda';

/** The event source mapping as the template declares it. */
export interface EventSourceMappingConfig {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly fifo: boolean;
  /** BatchSize (Lambda's default for SQS is 10). */
  readonly batchSize: number;
  /** ScalingConfig.MaximumConcurrency. @default - 5 (what an SQS mapping starts with; Lambda scales up from there) */
  readonly maxConcurrency: number;
  /** FunctionResponseTypes includes ReportBatchItemFailures. */
  readonly reportBatchItemFailures: boolean;
  /** MaximumBatchingWindowInSeconds. @default 0 */
  readonly maximumBatchingWindowSeconds?: number;
}

/** Test-only knobs of the poller. None of them changes what Lambda would do, except where stated. */
export interface PollerOptions {
  /**
   * After a failed record, set its visibility timeout to this many seconds (ChangeMessageVisibility)
   * instead of waiting for the queue's VisibilityTimeout. Lambda does not do this; use it to keep
   * retry tests short without changing the stack. @default - the queue's VisibilityTimeout applies
   */
  readonly retryVisibilityTimeoutSeconds?: number;
  /** Pause between empty polls, growing to `maxIdlePollMs`. @default 20 */
  readonly idlePollMs?: number;
  /** @default 200 */
  readonly maxIdlePollMs?: number;
}

/** What the poller did, for assertions. */
export interface PollerStats {
  /** ReceiveMessage calls that returned messages. */
  batches: number;
  /** Function invocations (one per batch). */
  invocations: number;
  /** Records handed to the function, counting redeliveries. */
  records: number;
  /** Distinct SQS message IDs handed to the function. */
  readonly messageIds: Set<string>;
  /** Records deleted after success. */
  deleted: number;
  /** Records reported failed, or part of a failed invocation. */
  failedRecords: number;
  failedInvocations: number;
  timeouts: number;
  /** Batches that carried a message group already in flight elsewhere: must stay 0. */
  groupViolations: number;
  /** Highest number of concurrent invocations seen. */
  peakConcurrency: number;
}

/**
 * Emulates Lambda's event source mapping for an SQS queue: `maxConcurrency` pollers receive up to
 * `batchSize` messages (with all system and message attributes), build the SQSEvent exactly as
 * Lambda does, invoke the function and, with ReportBatchItemFailures, delete the records that
 * succeeded and leave the failed ones to reappear after the visibility timeout. A function error,
 * timeout or invalid partial-batch response fails the whole batch.
 *
 * Receive calls are serialised per queue so that SQS's "one in-flight batch per message group"
 * rule — which moto implements, but not atomically across concurrent receives — holds strictly;
 * the poller also checks it and counts violations. Moving messages to the dead-letter queue after
 * `maxReceiveCount` receives is done by the emulator on receive (moto implements RedrivePolicy as
 * SQS does), not by the poller.
 */
export class SqsEventSourcePoller {
  public readonly stats: PollerStats = {
    batches: 0, invocations: 0, records: 0, messageIds: new Set(), deleted: 0, failedRecords: 0, failedInvocations: 0, timeouts: 0, groupViolations: 0, peakConcurrency: 0,
  };
  private running = false;
  private workers: Array<Promise<void>> = [];
  private active = 0;
  private receiving: Promise<unknown> = Promise.resolve();
  private readonly groupsInFlight = new Map<string, number>();
  private wake: Array<() => void> = [];

  public constructor(
    public readonly config: EventSourceMappingConfig,
    private readonly fn: LambdaFunctionHost,
    private readonly sqs: SQSClient,
    private readonly options: PollerOptions = {},
  ) {}

  /** Invocations running now. */
  public get inFlight(): number {
    return this.active;
  }

  /** Starts polling. */
  public start(): void {
    if (this.running) return;
    this.running = true;
    this.workers = Array.from({ length: Math.max(1, this.config.maxConcurrency) }, () => this.work());
  }

  /** Stops polling and waits for running invocations to finish. */
  public async stop(): Promise<void> {
    this.running = false;
    for (const wake of this.wake.splice(0)) wake();
    await Promise.allSettled(this.workers);
  }

  /** Makes idle pollers poll now (after a send, to keep tests fast). */
  public nudge(): void {
    for (const wake of this.wake.splice(0)) wake();
  }

  private async work(): Promise<void> {
    let idle = this.options.idlePollMs ?? 20;
    while (this.running) {
      let messages: Message[];
      try {
        messages = await this.receive();
      } catch {
        messages = [];
      }
      if (!this.running) {
        if (messages.length > 0) await this.release(messages);
        return;
      }
      if (messages.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, idle);
          this.wake.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        idle = Math.min(idle * 2, this.options.maxIdlePollMs ?? 200);
        continue;
      }
      idle = this.options.idlePollMs ?? 20;
      await this.process(messages);
    }
  }

  /** One ReceiveMessage at a time per queue; with a batching window, keeps receiving until it is full or the window ends. */
  private receive(): Promise<Message[]> {
    const next = this.receiving.then(async () => {
      const batch: Message[] = [];
      const windowEnds = Date.now() + (this.config.maximumBatchingWindowSeconds ?? 0) * 1000;
      do {
        const result = await this.sqs.send(new ReceiveMessageCommand({
          QueueUrl: this.config.queueUrl,
          MaxNumberOfMessages: Math.min(10, this.config.batchSize - batch.length),
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 0,
        }));
        batch.push(...(result.Messages ?? []));
        if (batch.length >= this.config.batchSize || Date.now() >= windowEnds || !this.running) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      } while (Date.now() < windowEnds);
      return batch;
    });
    this.receiving = next.catch(() => undefined);
    return next;
  }

  private async process(messages: Message[]): Promise<void> {
    this.stats.batches++;
    const groups = new Set(messages.map((message) => message.Attributes?.MessageGroupId).filter((group): group is string => group !== undefined));
    for (const group of groups) {
      if (this.groupsInFlight.has(group)) this.stats.groupViolations++;
      this.groupsInFlight.set(group, (this.groupsInFlight.get(group) ?? 0) + 1);
    }
    this.active++;
    this.stats.peakConcurrency = Math.max(this.stats.peakConcurrency, this.active);
    const held = new Set(groups);
    try {
      const event: SQSEvent = { Records: messages.map((message) => this.toRecord(message)) };
      this.stats.invocations++;
      this.stats.records += messages.length;
      for (const message of messages) this.stats.messageIds.add(message.MessageId ?? '');
      const outcome = await this.fn.invoke(event);
      const failed = this.failedIds(outcome, messages);
      if (outcome.kind === 'timeout') this.stats.timeouts++;
      if (failed.size === messages.length) this.stats.failedInvocations++;
      this.stats.failedRecords += failed.size;
      const succeeded = messages.filter((message) => !failed.has(message.MessageId ?? ''));
      // A group whose records all succeeded is free at SQS the moment the delete lands, before its
      // answer is back here: stop counting it in flight before sending the delete, or a starved
      // event loop that handles another poller's receive first reports a violation SQS never made.
      for (const group of groups) {
        if (!messages.some((message) => message.Attributes?.MessageGroupId === group && failed.has(message.MessageId ?? ''))) this.releaseGroup(group, held);
      }
      await this.deleteMessages(succeeded);
      if (failed.size > 0 && this.options.retryVisibilityTimeoutSeconds !== undefined) {
        await this.changeVisibility(messages.filter((message) => failed.has(message.MessageId ?? '')), this.options.retryVisibilityTimeoutSeconds);
      }
    } finally {
      this.active--;
      for (const group of [...held]) this.releaseGroup(group, held);
    }
  }

  private releaseGroup(group: string, held: Set<string>): void {
    if (!held.delete(group)) return;
    const count = (this.groupsInFlight.get(group) ?? 1) - 1;
    if (count <= 0) this.groupsInFlight.delete(group);
    else this.groupsInFlight.set(group, count);
  }

  /**
   * The records Lambda treats as failed. Complete success: a null or empty response, or an empty
   * or null `batchItemFailures`. Complete failure: a function error or timeout, or a response whose
   * `batchItemFailures` names an empty, null or unknown `itemIdentifier`.
   */
  private failedIds(outcome: InvokeOutcome, messages: readonly Message[]): Set<string> {
    const all = new Set(messages.map((message) => message.MessageId ?? ''));
    if (outcome.kind !== 'result') return all;
    if (!this.config.reportBatchItemFailures) return new Set();
    const response = outcome.value as SQSBatchResponse | null;
    if (response === null || typeof response !== 'object') return response === null ? new Set() : all;
    const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
    if (failures === undefined || failures === null) return new Set();
    if (!Array.isArray(failures)) return all;
    const failed = new Set<string>();
    for (const failure of failures) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      if (typeof id !== 'string' || id === '' || !all.has(id)) return all;
      failed.add(id);
    }
    return failed;
  }

  private async deleteMessages(messages: readonly Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      try {
        const result = await this.sqs.send(new DeleteMessageBatchCommand({
          QueueUrl: this.config.queueUrl,
          Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }));
        this.stats.deleted += result.Successful?.length ?? 0;
      } catch {
        // As in Lambda: a record that could not be deleted reappears after the visibility timeout.
      }
    }
  }

  private async changeVisibility(messages: readonly Message[], seconds: number): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      await this.sqs.send(new ChangeMessageVisibilityBatchCommand({
        QueueUrl: this.config.queueUrl,
        Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: seconds })),
      })).catch(() => undefined);
    }
  }

  /** Received during stop: make them visible again at once, so nothing is held for a visibility timeout. */
  private async release(messages: readonly Message[]): Promise<void> {
    await this.changeVisibility(messages, 0);
  }

  /** An SQS message as Lambda puts it in an SQSEvent record. */
  private toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    const messageAttributes: SQSRecord['messageAttributes'] = {};
    for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
      messageAttributes[name] = {
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
        dataType: value.DataType ?? 'String',
      } as SQSRecord['messageAttributes'][string];
    }
    const record: Record<string, unknown> = {
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body ?? '',
      attributes: pick(attributes, [
        'ApproximateReceiveCount', 'AWSTraceHeader', 'SentTimestamp', 'SequenceNumber', 'MessageGroupId', 'SenderId', 'MessageDeduplicationId', 'ApproximateFirstReceiveTimestamp',
      ]),
      messageAttributes,
      md5OfBody: message.MD5OfBody,
      ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
      eventSource: 'aws:sqs',
      eventSourceARN: this.config.queueArn,
      awsRegion: this.config.queueArn.split(':')[3],
    };
    return record as unknown as SQSRecord;
  }
}

function pick(source: Record<string, string>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}
