import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DIMENSIONS, ENV, KEY_PREFIX, METRICS, TABLE, type WebhookEnvelope } from '../shared/contract';
import { fetchBody, sharedS3Client, type BodyStore } from './body';
import { readEnvelope, toWebhookEvent, type WebhookEvent } from './event';
import { defaultMetricsSink, type MetricsSink } from './metrics';
import { HandlerError } from '../shared/errors';

/**
 * Your code: runs once per (processor, event ID), however often SQS delivers the message, and once
 * more per replay of the event (`event.replay` tells them apart).
 */
export type WebhookHandler = (event: WebhookEvent, context: Context) => Promise<void> | void;

export interface WebhookProcessorOptions {
  /**
   * The idempotency table.
   * @default - the `HW_TABLE_NAME` environment variable, set by `addProcessor`
   */
  readonly tableName?: string;
  /**
   * The processor's name; its idempotency records are keyed by it.
   * @default - the `HW_PROCESSOR_NAME` environment variable, set by `addProcessor`
   */
  readonly processorName?: string;
  /**
   * How long the "completed" marker is kept, in seconds. Keep it longer than the queue's retention.
   * @default - `HW_PROCESSOR_RECORD_TTL_SECONDS`, else 7 days
   */
  readonly completedRecordTtlSeconds?: number;
  /**
   * The endpoint the processor belongs to: its metrics carry `Endpoint` and `Processor`, as the
   * construct's `metric*()` methods and alarms expect.
   * @default - the `HW_ENDPOINT_NAME` environment variable, set by `addProcessor`; without it the
   * metrics carry `Processor` only and match no alarm
   */
  readonly endpointName?: string;
  /** A DynamoDB client to use (tests point it at an emulator). @default - a client built from the environment */
  readonly dynamoDbClient?: DynamoDBClient;
  /**
   * The endpoint's event bucket: the only bucket a body too large for its SQS message is read from.
   * A message that keeps its body anywhere else fails.
   * @default - the `HW_EVENT_BUCKET` environment variable, set by `addProcessor` when the endpoint
   * has an event bucket; without either, a message whose body is kept in S3 fails
   */
  readonly eventBucket?: string;
  /**
   * An S3 client to read large bodies with (tests point it at an emulator).
   * @default - one client per execution environment, built from the environment when the first
   * message whose body is kept in S3 arrives (never, where every body travels in its message)
   */
  readonly s3Client?: S3Client;
  /** Replaces the DynamoDB persistence layer entirely. @default - DynamoDB, with the options above */
  readonly persistenceStore?: BasePersistenceLayer;
  /**
   * Where `Processed` and `ProcessorFailures` are recorded (dimensions `Endpoint`, `Processor`).
   * @default - Powertools Metrics (Embedded Metric Format on stdout)
   */
  readonly metrics?: MetricsSink;
}

/** A processor is misconfigured (e.g. no table name); raised at cold start. */
export class ProcessorConfigError extends HandlerError {
  public constructor(message: string) {
    super('ProcessorConfigError', message);
  }
}

const SEVEN_DAYS = 7 * 24 * 3600;

/**
 * Wraps your handler as an SQS FIFO Lambda handler that
 * - claims each (processor, event ID) before running it — an in-progress lease that expires with the
 *   invocation's remaining time, then a completed marker — so a redelivered or re-sent message never
 *   runs twice once it has succeeded (Powertools idempotency); a replay from the archive is claimed
 *   as (processor, event ID, replay ID), so it runs once more, once;
 * - reads a body too large for its message from the endpoint's event bucket and checks it against
 *   the message (length, SHA-256) before your handler sees it; a body that cannot be read or does
 *   not match fails the record (`BodyReferenceError`);
 * - reports partial batch failures and stops a message group at its first failure, so later messages
 *   of that group are retried in order while other groups go on (Powertools batch, FIFO).
 */
export function webhookProcessor(handler: WebhookHandler, options: WebhookProcessorOptions = {}): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processorName = options.processorName ?? process.env[ENV.PROCESSOR_NAME];
  if (!processorName) throw new ProcessorConfigError(`no processor name: set ${ENV.PROCESSOR_NAME} or options.processorName`);
  const persistenceStore = options.persistenceStore ?? dynamoDbStore(options);
  const settings = {
    // The record is keyed on what recordIdentity() returns, passed as the idempotent function's
    // first argument: no JMESPath.
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: options.completedRecordTtlSeconds ?? (Number(process.env[ENV.PROCESSOR_RECORD_TTL_SECONDS]) || SEVEN_DAYS),
  };
  const keyPrefix = `${KEY_PREFIX.PROCESSOR}${processorName}`;
  const metrics = options.metrics ?? defaultMetricsSink();
  const endpointName = options.endpointName ?? process.env[ENV.ENDPOINT_NAME];
  const dimensions: Array<Record<string, string>> = [
    endpointName ? { [DIMENSIONS.ENDPOINT]: endpointName, [DIMENSIONS.PROCESSOR]: processorName } : { [DIMENSIONS.PROCESSOR]: processorName },
  ];
  // A metric that cannot be written must not fail the record: after a success that would run the
  // handler again on every retry.
  const count = (name: string) => {
    try {
      metrics.count(name, dimensions);
    } catch {
      // Metrics are best effort; the record's outcome stands.
    }
  };
  const bodies: BodyStore = {
    processorName,
    bucket: options.eventBucket ?? (process.env[ENV.EVENT_BUCKET] || undefined),
    client: () => options.s3Client ?? sharedS3Client(),
  };
  // Counted inside the idempotent function: a duplicate that is skipped is neither processed nor
  // failed again. A body kept in S3 is read here, after the claim, so that a duplicate of a
  // completed event is skipped without a read (its object may have expired since).
  const handleRecord = async ({ record, envelope }: ReceivedMessage, context: Context): Promise<void> => {
    try {
      const rawBody = envelope.bodyRef ? await fetchBody(record.messageId, envelope.id, envelope.bodyRef, bodies) : undefined;
      await handler(toWebhookEvent(record, envelope, rawBody), context);
    } catch (error) {
      count(METRICS.PROCESSOR_FAILURES);
      throw error;
    }
    count(METRICS.PROCESSED);
  };

  return async (event, context) => {
    // A configuration and a batch processor per invocation: the in-progress lease is this
    // invocation's own remaining time, and the batch's state its own, even where invocations overlap
    // in one process (tests, the local harness) rather than one per execution environment.
    const leased = withLeaseFloor(context);
    const config = new IdempotencyConfig({ ...settings, lambdaContext: leased });
    // Powertools hashes the first argument. Given a Lambda context as the second, it registers that
    // context as the lease's source: the leased one, the same as in the configuration.
    const runOnce = makeIdempotent(
      (_identity: RecordIdentity, _leased: Context, message: ReceivedMessage) => handleRecord(message, context),
      { persistenceStore, config, keyPrefix },
    );
    // The envelope is read before the claim: a message that is not one fails without a write.
    const processRecord = (record: SQSRecord) => {
      const envelope = readEnvelope(record);
      return runOnce(recordIdentity(envelope), leased, { record, envelope });
    };
    return processPartialResponse(event, processRecord, new SqsFifoPartialProcessorAsync(), { context: leased, skipGroupOnError: true, throwOnFullBatchFailure: false });
  };
}

/** A record with the envelope it carries, read once. */
interface ReceivedMessage {
  readonly record: SQSRecord;
  readonly envelope: WebhookEnvelope;
}

/** A replay's record identity (see {@link recordIdentity}). */
interface ReplayIdentity {
  readonly event: string;
  readonly replay: string;
}
type RecordIdentity = string | ReplayIdentity;

/**
 * What a message's once-per-event record is keyed on; Powertools stores it hashed (JSON, then MD5)
 * under `processor#<name>#`.
 * - An original: the provider's event ID, so that the same event is one record whatever SQS message
 *   carried it (a redrive or a re-send after the 5-minute FIFO window has a new deduplication ID).
 *   Exactly the value the JMESPath `powertools_json(body).id` selected before replays existed, so
 *   the records of events in flight across an upgrade are found.
 * - A replay: the event ID with the replay's ID. Its JSON is an object, which no event ID's (a
 *   string) can equal: a replay is not stopped by the original's record, and runs once however
 *   often it is sent.
 */
function recordIdentity(envelope: WebhookEnvelope): RecordIdentity {
  return envelope.replay ? { event: envelope.id, replay: envelope.replay.id } : envelope.id;
}

/**
 * The context Powertools takes the in-progress lease from. Powertools stores no lease at all when
 * the remaining time is 0 (an invocation at its deadline, about to be stopped): that claim would
 * block every redelivery of the event until the record expires (days), and the message would end
 * in the dead-letter queue unprocessed. With at least 1 ms the lease ends with the invocation.
 */
function withLeaseFloor(context: Context): Context {
  return new Proxy(context, {
    get: (target, property, receiver) => (property === 'getRemainingTimeInMillis'
      ? () => Math.max(1, target.getRemainingTimeInMillis())
      : Reflect.get(target, property, receiver) as unknown),
  });
}

function dynamoDbStore(options: WebhookProcessorOptions): DynamoDBPersistenceLayer {
  const tableName = options.tableName ?? process.env[ENV.TABLE_NAME];
  if (!tableName) throw new ProcessorConfigError(`no idempotency table: set ${ENV.TABLE_NAME} or options.tableName`);
  const attributes = {
    tableName,
    keyAttr: TABLE.PARTITION_KEY,
    expiryAttr: TABLE.TTL_ATTRIBUTE,
    inProgressExpiryAttr: TABLE.POWERTOOLS_IN_PROGRESS_EXPIRY,
    statusAttr: TABLE.POWERTOOLS_STATUS,
    dataAttr: TABLE.POWERTOOLS_DATA,
  };
  return options.dynamoDbClient
    ? new DynamoDBPersistenceLayer({ ...attributes, awsSdkV3Client: options.dynamoDbClient })
    : new DynamoDBPersistenceLayer(attributes);
}
