import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DIMENSIONS, ENV, KEY_PREFIX, METRICS, TABLE } from '../shared/contract';
import { toWebhookEvent, type WebhookEvent } from './event';
import { defaultMetricsSink, type MetricsSink } from './metrics';

/** Your code: runs once per (processor, event ID), however often SQS delivers the message. */
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
  /** Replaces the DynamoDB persistence layer entirely. @default - DynamoDB, with the options above */
  readonly persistenceStore?: BasePersistenceLayer;
  /**
   * Where `Processed` and `ProcessorFailures` are recorded (dimensions `Endpoint`, `Processor`).
   * @default - Powertools Metrics (Embedded Metric Format on stdout)
   */
  readonly metrics?: MetricsSink;
}

/** A processor is misconfigured (e.g. no table name); raised at cold start. */
export class ProcessorConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ProcessorConfigError';
  }
}

const SEVEN_DAYS = 7 * 24 * 3600;

/**
 * Wraps your handler as an SQS FIFO Lambda handler that
 * - claims each (processor, event ID) before running it — an in-progress lease that expires with the
 *   invocation's remaining time, then a completed marker — so a redelivered or re-sent message never
 *   runs twice once it has succeeded (Powertools idempotency);
 * - reports partial batch failures and stops a message group at its first failure, so later messages
 *   of that group are retried in order while other groups go on (Powertools batch, FIFO).
 */
export function webhookProcessor(handler: WebhookHandler, options: WebhookProcessorOptions = {}): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processorName = options.processorName ?? process.env[ENV.PROCESSOR_NAME];
  if (!processorName) throw new ProcessorConfigError(`no processor name: set ${ENV.PROCESSOR_NAME} or options.processorName`);
  const persistenceStore = options.persistenceStore ?? dynamoDbStore(options);
  const settings = {
    // The provider's event ID from the envelope: the same event is one record whatever SQS message
    // carried it (a redrive or a re-send after the 5-minute FIFO window has a new deduplication ID).
    eventKeyJmesPath: 'powertools_json(body).id',
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
  // Counted inside the idempotent function: a duplicate that is skipped is neither processed nor failed again.
  const handleRecord = async (record: SQSRecord, context: Context): Promise<void> => {
    try {
      await handler(toWebhookEvent(record), context);
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
    // Powertools also registers the context the batch passes on with each record: the same one.
    const leased = withLeaseFloor(context);
    const config = new IdempotencyConfig({ ...settings, lambdaContext: leased });
    const runOnce = makeIdempotent((record: SQSRecord) => handleRecord(record, context), { persistenceStore, config, keyPrefix });
    return processPartialResponse(event, runOnce, new SqsFifoPartialProcessorAsync(), { context: leased, skipGroupOnError: true, throwOnFullBatchFailure: false });
  };
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
