import { Annotations, Duration, Names, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, KEY_PREFIX, METRICS, type ProcessorRoute } from '../lambda/shared/contract';
import { grantProcessorReads, payloadLifetime } from './private/event-bucket';
import { messageLifetime } from './private/retention';
import type { ProcessorAlarmOptions, ProcessorAlarms } from './monitoring';
import { AlarmActionSet, createProcessorAlarms, validateProcessorAlarmOptions } from './private/alarms';
import { grantKeyThroughService } from './private/key-grants';
import { ProcessorMetricFactory } from './private/metrics';
import { checkovSkips } from './private/scanner-metadata';
import { PropsValidator } from './private/validation';
import type { IScopedToken } from './scoped-token';

/** Options of `HardenedWebhookEndpoint.addProcessor`. */
export interface ProcessorOptions {
  /**
   * The processor's name: its construct ID, the key prefix of its idempotency records and the
   * `Processor` metric dimension. Must match `^[A-Za-z][A-Za-z0-9-]{0,39}$`: 1–40 ASCII letters,
   * digits and hyphens, starting with a letter (refused at synth otherwise); unique on its endpoint.
   */
  readonly name: string;
  /**
   * Event types this processor receives; `*` matches any run of characters (`payment_intent.*`).
   * @default - every event
   */
  readonly eventTypes?: string[];
  /**
   * Messages per Lambda invocation (FIFO queues allow at most 10). Keep 1 unless you need the
   * throughput: in a larger batch, the messages queued behind a failing one of the same message
   * group come back with it, so their receive counts climb too and they can reach the DLQ without
   * ever being attempted.
   * @default 1
   */
  readonly batchSize?: number;
  /**
   * Most concurrent invocations the event source mapping starts (2–1000).
   * @default 5
   */
  readonly maxConcurrency?: number;
  /**
   * Receives before a message moves to the processor's dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * The queue's visibility timeout (1 s – 12 hours). For a `lambda.Function`, whose timeout is known
   * (Lambda's 3 s when it sets none): at least that timeout (refused at synth otherwise), and below
   * six times it synth warns. For any other function (imported with `fromFunctionArn` /
   * `fromFunctionAttributes`, an alias or version) the timeout is unknown: a 1-minute timeout is
   * assumed for the default, and a value you give is not checked against the function — set it to at
   * least six times the function's real timeout.
   * @default - six times the function's timeout for a `lambda.Function`, else 6 minutes
   */
  readonly visibilityTimeout?: Duration;
  /**
   * How long an unprocessed message is kept.
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long a message is kept in the dead-letter queue, to be inspected and redriven. A FIFO
   * queue's message starts its retention again when it is dead-lettered, so an event's message can
   * live `retentionPeriod` plus this, and once redriven `retentionPeriod` again. The processor keeps
   * its once-per-event records at least that long, plus a day, so a redriven event that had completed
   * never runs again.
   * @default Duration.days(14) (SQS's maximum)
   */
  readonly deadLetterRetentionPeriod?: Duration;
  /**
   * Scoped tokens this processor may use (`tokens.get(name)` in the runtime). It may read these
   * secrets only — `secretsmanager:GetSecretValue` on each, `kms:Decrypt` on its key for that secret.
   * @default - none
   */
  readonly tokens?: IScopedToken[];
  /**
   * How long the runtime serves a token from memory before reading it again (0–1 hour). Keep it
   * shorter than the tokens' `previousTokenGrace`.
   * @default Duration.minutes(5)
   */
  readonly tokenCacheTtl?: Duration;
  /**
   * Overrides of the processor's alarms.
   * @default - see {@link ProcessorAlarmOptions}
   */
  readonly alarms?: ProcessorAlarmOptions;
}

/** Properties of {@link WebhookProcessor}; built by `HardenedWebhookEndpoint.addProcessor`. */
export interface WebhookProcessorProps extends ProcessorOptions {
  readonly handler: lambda.IFunction;
  readonly table: dynamodb.ITable;
  /** The endpoint's name (its construct path): with `name`, what identifies the processor's metrics. */
  readonly endpointName: string;
  /**
   * The endpoint's `idempotencyRetention`: the least time the processor keeps its completed markers
   * (see {@link WebhookProcessor.recordRetention}).
   */
  readonly recordRetention: Duration;
  /** Key for the queues, if the endpoint uses a customer-managed key. @default - SQS-managed encryption */
  readonly encryptionKey?: kms.IKey;
  /**
   * The endpoint's event bucket: the processor may read the large bodies routed to it
   * (`payloads/<name>/*`), and its runtime learns the bucket from `HW_EVENT_BUCKET`.
   * @default - no event bucket: every body travels inside its message
   */
  readonly eventBucket?: s3.IBucket;
}

const NAME = /^[A-Za-z][A-Za-z0-9-]{0,39}$/;
/** Assumed for imported functions, whose timeout is unknown. */
const DEFAULT_FUNCTION_TIMEOUT = Duration.minutes(1);
/** What Lambda uses when a function sets no timeout. */
const LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3);
/** `ProcessorOptions.retentionPeriod` and `deadLetterRetentionPeriod` when not set. */
export const DEFAULT_QUEUE_RETENTION = Duration.days(4);
export const DEFAULT_DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * One processor: its FIFO queue and FIFO dead-letter queue, the event source mapping with partial
 * batch responses, and exactly the permissions its runtime needs.
 *
 * The processor runtime reads `HW_TABLE_NAME` and `HW_PROCESSOR_NAME` (required), `HW_ENDPOINT_NAME`
 * (its metrics' `Endpoint` dimension),
 * `HW_PROCESSOR_RECORD_TTL_SECONDS` (else 7 days), `HW_TOKENS` (else no tokens),
 * `HW_TOKEN_CACHE_TTL_SECONDS` (else 300) and `HW_EVENT_BUCKET` (else a message whose body is in
 * the bucket fails its record). They are set on a `lambda.Function` — the tokens' two only when it
 * has `tokens`, the bucket only when the endpoint has one; any other function gets none of them and
 * a synth warning.
 */
export class WebhookProcessor extends Construct {
  /** The processor's name (`ProcessorOptions.name`). */
  public readonly name: string;
  /** The FIFO queue the verifier sends this processor's events to. */
  public readonly queue: sqs.IQueue;
  /** The FIFO dead-letter queue that holds messages that failed `maxReceiveCount` times. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The processor's function. */
  public readonly handler: lambda.IFunction;
  /** The processor's alarms. */
  public readonly alarms: ProcessorAlarms;
  /**
   * How long the processor keeps its once-per-event records: the endpoint's `idempotencyRetention`,
   * or — when longer — as long as a message of the event can still be in its queues: `retentionPeriod`,
   * then `deadLetterRetentionPeriod`, then `retentionPeriod` again once redriven, and a day (23 days
   * by default).
   */
  public readonly recordRetention: Duration;
  /**
   * How long a large body routed to this processor must stay in the event bucket: as long as a
   * message pointing at it can live (see {@link payloadLifetime}). @internal
   */
  public readonly _payloadLifetime: Duration;

  private readonly alarmActions = new AlarmActionSet();
  /** Processor names are unique per endpoint only: the metrics carry both. */
  private readonly metrics: ProcessorMetricFactory;
  private readonly subscribedEventTypes: readonly string[];
  private readonly scopedTokens: readonly IScopedToken[];

  public constructor(scope: Construct, id: string, props: WebhookProcessorProps) {
    super(scope, id);
    // Only a lambda.Function's timeout is known; the visibility timeout is checked against it.
    const knownTimeout = props.handler instanceof lambda.Function ? props.handler.timeout ?? LAMBDA_DEFAULT_TIMEOUT : undefined;
    const timeouts = knownSeconds(props.visibilityTimeout, knownTimeout);
    validateProcessorOptions(this, props, timeouts);
    this.name = props.name;
    this.metrics = new ProcessorMetricFactory(props.endpointName, props.name);
    this.handler = props.handler;
    this.subscribedEventTypes = [...(props.eventTypes ?? [])];
    this.scopedTokens = [...(props.tokens ?? [])];

    const encryption = props.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    const functionTimeout = knownTimeout ?? DEFAULT_FUNCTION_TIMEOUT;
    if (timeouts) warnOnShortVisibilityTimeout(this, timeouts);

    const deadLetterRetention = props.deadLetterRetentionPeriod ?? DEFAULT_DEAD_LETTER_RETENTION;
    const queueRetention = props.retentionPeriod ?? DEFAULT_QUEUE_RETENTION;
    this.recordRetention = recordRetentionFor(props.recordRetention, queueRetention, deadLetterRetention);
    this._payloadLifetime = payloadLifetime(queueRetention, deadLetterRetention);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      fifo: true,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
      maxMessageSizeBytes: 1024 * 1024,
      ...encryption,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: true,
      enforceSSL: true,
      // Deduplication per message group with per-group throughput: the group is derived from the
      // verified body, so the same event always lands in the same group and is deduplicated.
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(functionTimeout.toSeconds() * 6),
      retentionPeriod: queueRetention,
      maxMessageSizeBytes: 1024 * 1024,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
      ...encryption,
    });

    if (!props.encryptionKey) {
      for (const queue of [this.queue, this.deadLetterQueue]) {
        checkovSkips(queue, { id: 'CKV_AWS_27', comment: 'Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled), which this check does not recognise; set encryptionKey for a customer-managed key.' });
      }
    }
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This is the webhook processor\'s dead-letter queue: events that failed maxReceiveCount times wait here to be inspected and redriven; a dead-letter queue of its own would hide them.',
    });

    // The mapping is built here rather than with aws-cdk-lib's SqsEventSource, whose grant adds an
    // unconditioned kms:Decrypt on the queue's key; its construct ID (and so its logical ID) is the
    // one SqsEventSource gives it.
    const mapping = props.handler.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(this.queue.node)}`, {
      eventSourceArn: this.queue.queueArn,
      batchSize: props.batchSize ?? 1,
      maxConcurrency: props.maxConcurrency ?? 5,
      reportBatchItemFailures: true,
    });
    Validations.of(mapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: 'SQS event source mappings take no on-failure destination: a webhook event that fails maxReceiveCount times moves to the queue\'s dead-letter queue.',
    });
    this.grantConsumeQueue(props.handler);
    this.grantIdempotencyRecords(props.handler, props.table);
    if (props.eventBucket) grantProcessorReads(props.eventBucket, props.handler, this.name);
    for (const token of this.tokens) token.grantRead(props.handler);
    this.configureRuntime(props);

    const alarms = createProcessorAlarms(this, this, props.alarms);
    this.alarms = alarms;
    this.alarmActions.addAlarms(...alarms.all);
  }

  /** Event types this processor receives; empty means all. A copy: changing it changes nothing. */
  public get eventTypes(): string[] {
    return [...this.subscribedEventTypes];
  }

  /** The scoped tokens this processor may read. A copy: changing it changes nothing. */
  public get tokens(): IScopedToken[] {
    return [...this.scopedTokens];
  }

  /** Adds actions to every alarm of the processor. */
  public addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.alarmActions.addActions(...actions);
  }

  /** The route the verifier uses to reach this processor. @internal */
  public _route(): ProcessorRoute {
    return { name: this.name, queueUrl: this.queue.queueUrl, eventTypes: this.eventTypes };
  }

  /**
   * Uses of a scoped token by this processor (`tokens.get` calls), per 5 minutes: dimensions `Token`
   * (the token's secret name), `Endpoint` and `Processor`, as the runtime records them.
   */
  public metricTokenUsage(token: IScopedToken, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metricTokenUsage(token, props);
  }

  /** Events this processor's runtime completed. */
  public metricProcessed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(METRICS.PROCESSED, props);
  }

  /** Handler failures (each failed record counts once). */
  public metricFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(METRICS.PROCESSOR_FAILURES, props);
  }

  /** Messages in the dead-letter queue. */
  public metricDeadLetterMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metricDeadLetterMessages(this.deadLetterQueue, props);
  }

  /** Age of the oldest message waiting in the queue: the processing lag. */
  public metricOldestMessageAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metricOldestMessageAge(this.queue, props);
  }

  /** Invocations of the processor function that crashed or timed out. */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metricFunctionErrors(this.handler, props);
  }

  /** Throttled invocations of the processor function. */
  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metricFunctionThrottles(this.handler, props);
  }

  /**
   * The runtime keeps one idempotency record per (processor, event): read, write and delete, on
   * items whose key starts with this processor's prefix only — never the verifier's claims or
   * another processor's records.
   */
  private grantIdempotencyRecords(handler: lambda.IFunction, table: dynamodb.ITable): void {
    iam.Grant.addToPrincipal({
      grantee: handler,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resourceArns: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${KEY_PREFIX.PROCESSOR}${this.name}#*`] } },
    });
    // DynamoDB decrypts the table key for reads and asks for data keys for writes, in the caller's name.
    if (table.encryptionKey) {
      grantKeyThroughService(this, handler, table.encryptionKey, 'dynamodb', ['kms:Decrypt', 'kms:GenerateDataKey'], {
        'kms:EncryptionContext:aws:dynamodb:tableName': table.tableName,
      });
    }
  }

  /**
   * What the event source mapping polls with, on this queue only; with a customer-managed key,
   * `kms:Decrypt` through SQS for this queue only (encryption context `aws:sqs:arn`).
   */
  private grantConsumeQueue(handler: lambda.IFunction): void {
    iam.Grant.addToPrincipal({
      grantee: handler,
      actions: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      resourceArns: [this.queue.queueArn],
    });
    if (this.queue.encryptionMasterKey) {
      grantKeyThroughService(this, handler, this.queue.encryptionMasterKey, 'sqs', ['kms:Decrypt'], { 'kms:EncryptionContext:aws:sqs:arn': this.queue.queueArn });
    }
  }

  private configureRuntime(props: WebhookProcessorProps): void {
    const environment: Record<string, string> = {
      [ENV.TABLE_NAME]: props.table.tableName,
      [ENV.PROCESSOR_NAME]: this.name,
      [ENV.ENDPOINT_NAME]: props.endpointName,
      [ENV.PROCESSOR_RECORD_TTL_SECONDS]: String(this.recordRetention.toSeconds()),
    };
    if (props.eventBucket) environment[ENV.EVENT_BUCKET] = props.eventBucket.bucketName;
    if (this.tokens.length > 0) {
      environment[ENV.TOKENS] = Stack.of(this).toJsonString(Object.fromEntries(this.tokens.map((token) => [token.tokenName, token.secret.secretArn])));
      environment[ENV.TOKEN_CACHE_TTL_SECONDS] = String((props.tokenCacheTtl ?? Duration.minutes(5)).toSeconds());
    }
    if (props.handler instanceof lambda.Function) {
      for (const [key, value] of Object.entries(environment)) props.handler.addEnvironment(key, value);
    } else {
      Annotations.of(this).addWarningV2('hardened-webhooks:processorEnvironment',
        `Processor "${this.name}" is an imported function: set ${Object.keys(environment).join(', ')} on it yourself (see README); `
        + `${ENV.PROCESSOR_RECORD_TTL_SECONDS}=${this.recordRetention.toSeconds()}, so that its records outlive its messages (the runtime's default is 7 days)`
        + (props.eventBucket ? `; ${ENV.EVENT_BUCKET}=the endpoint's eventBucket.bucketName, without which every event whose body is in the bucket fails.` : '.'));
    }
  }
}

/**
 * A message must stay invisible for as long as an invocation may still be working on it: with a
 * visibility timeout shorter than the function timeout, SQS hands a message that is still being
 * processed to a second invocation, which then waits on the first one's idempotency lease and burns
 * a receive (refused, {@link validateProcessorOptions}). AWS recommends six times the function
 * timeout (retries within one batch, and the event source mapping's own polling), so anything less
 * is warned about.
 */
function warnOnShortVisibilityTimeout(scope: Construct, seconds: KnownTimeouts): void {
  if (seconds.visible < seconds.timeout || seconds.visible >= 6 * seconds.timeout) return;
  Annotations.of(scope).addWarningV2('hardened-webhooks:visibilityTimeout', `visibilityTimeout is ${seconds.visible} s, less than six times the function's timeout (${6 * seconds.timeout} s) that AWS recommends for an SQS event source; a slow batch may be delivered again while it runs.`);
}

/** A visibility timeout given by the user and a function timeout, both known at synth, in seconds. */
interface KnownTimeouts {
  readonly visible: number;
  readonly timeout: number;
}

/** Both timeouts in seconds, when both are known at synth; `undefined` when either is not. */
function knownSeconds(visibilityTimeout: Duration | undefined, functionTimeout: Duration | undefined): KnownTimeouts | undefined {
  if (visibilityTimeout === undefined || functionTimeout === undefined) return undefined;
  if (Token.isUnresolved(visibilityTimeout.toSeconds()) || Token.isUnresolved(functionTimeout.toSeconds())) return undefined;
  return { visible: visibilityTimeout.toSeconds(), timeout: functionTimeout.toSeconds() };
}

/** A processor's records outlive every message that can still deliver one of its events ({@link messageLifetime}). */
function recordRetentionFor(idempotencyRetention: Duration, queueRetention: Duration, deadLetterRetention: Duration): Duration {
  return Duration.seconds(Math.max(idempotencyRetention.toSeconds(), messageLifetime(queueRetention, deadLetterRetention).toSeconds()));
}

function validateProcessorOptions(processor: WebhookProcessor, props: ProcessorOptions, seconds: KnownTimeouts | undefined): void {
  const v = new PropsValidator(processor);
  if (seconds) {
    v.check(seconds.visible >= seconds.timeout,
      `visibilityTimeout must be at least the function's timeout (${seconds.timeout} s); got ${seconds.visible} s: a message still being processed would be handed to a second invocation`);
  }
  v.matches('name', props.name, NAME, 'letters, digits and hyphens, starting with a letter, at most 40 characters');
  v.range('batchSize', props.batchSize, 1, 10).integer('batchSize', props.batchSize);
  v.range('maxConcurrency', props.maxConcurrency, 2, 1000).integer('maxConcurrency', props.maxConcurrency);
  v.range('maxReceiveCount', props.maxReceiveCount, 1, 1000).integer('maxReceiveCount', props.maxReceiveCount);
  v.range('visibilityTimeout', props.visibilityTimeout?.toSeconds(), 1, 43200, ' s');
  v.range('retentionPeriod', props.retentionPeriod?.toSeconds(), 60, 1209600, ' s');
  v.range('deadLetterRetentionPeriod', props.deadLetterRetentionPeriod?.toSeconds(), 60, 1209600, ' s');
  v.range('tokenCacheTtl', props.tokenCacheTtl?.toSeconds(), 0, 3600, ' s');
  const names = (props.tokens ?? []).map((token) => token.tokenName);
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  v.check(repeated.length === 0, `tokens must have distinct token names; got ${JSON.stringify([...new Set(repeated)])} more than once`);
  validateProcessorAlarmOptions(v, props.alarms);
  for (const pattern of props.eventTypes ?? []) {
    v.check(typeof pattern === 'string' && pattern.length > 0 && pattern.length <= 256, `eventTypes entries must be 1–256 characters; got ${JSON.stringify(pattern)}`);
  }
  v.throwIfInvalid();
}
