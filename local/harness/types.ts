import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Stack } from 'aws-cdk-lib';
import type { VerifierConfig } from '../../lambda/shared/contract';
import type { RestApiEmulator } from '../api-gateway';
import type { AwsProxy } from '../aws-proxy';
import type { LambdaFunctionHost, LambdaHandler, LogEntry, SandboxClock } from '../lambda';
import type { EmulatorClients, LocalBucket, LocalQueue, LocalResources, LocalTable } from '../resources';
import type { PollerOptions, SqsEventSourcePoller } from '../sqs-poller';
import type { CfnTemplate } from '../template';

/** A processor's SQS handler, as `webhookProcessor(...)` returns it. */
export type ProcessorHandler = LambdaHandler<SQSEvent, SQSBatchResponse | void>;

/** What a processor factory gets once the emulated resources exist. */
export interface ProcessorContext {
  /** The processor's name (`addProcessor({ name })`). */
  readonly name: string;
  /** The idempotency table's emulated name (`HW_TABLE_NAME`). */
  readonly tableName: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl?: string;
  /** The processor function's environment from the template, references resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** A DynamoDB client whose calls go through the proxy as `processor:<name>#<environment>` (cut off when that execution environment is stopped). */
  readonly dynamoDbClient: DynamoDBClient;
  /**
   * An S3 client counted like `dynamoDbClient` (path-style, as the emulator needs), for a runtime that
   * fetches large bodies from the event bucket (`environment.HW_EVENT_BUCKET`).
   */
  readonly s3Client: S3Client;
  /** Endpoint, region and credentials for more clients counted as this processor. */
  readonly clientConfig: AwsClientConfig;
}

/**
 * How the harness runs a processor function:
 * - a handler function (called in-process for every batch);
 * - `{ create }`: a factory called for each execution environment, once the emulated resources exist (to pass the table name and a
 *   client to `webhookProcessor`);
 * - `{ bundle }`: a built bundle, run like the Lambda runtime would (fresh module per execution
 *   environment, the template's environment variables).
 */
export type ProcessorImplementation =
  | ProcessorHandler
  | { readonly create: (context: ProcessorContext) => ProcessorHandler }
  | { readonly bundle: string; readonly exportName?: string };

/** SDK client settings that route through the harness proxy. */
export interface AwsClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  /** The stack to run; its template is synthesized with `Template.fromStack`. Give this or `template`. */
  readonly stack?: Stack;
  /** A synthesized template (e.g. read from cdk.out). Give this or `stack`. */
  readonly template?: CfnTemplate;
  /** @default - the stack's name, else 'LocalStack' */
  readonly stackName?: string;
  /**
   * Which endpoint to serve when the template has several: its construct path (the verifier's
   * `endpointName`, e.g. `MyStack/Stripe`). @default - the only endpoint in the template
   */
  readonly endpoint?: string;
  /**
   * Processor implementations by processor name (`addProcessor({ name })`). A processor whose
   * function is a bundle found by its asset hash runs from that bundle when not given here;
   * otherwise its queue is not polled.
   */
  readonly processors?: Readonly<Record<string, ProcessorImplementation>>;
  /** The AWS emulator. @default - `HW_MOTO_ENDPOINT` (set by the jest global set-up) */
  readonly emulatorEndpoint?: string;
  /** Prefix of every created resource name. @default - a unique `hw-<random>` */
  readonly namePrefix?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /**
   * Folders searched for function bundles, matched to the template by asset hash.
   * @default - the library's `assets/` folder
   */
  readonly assetDirectories?: readonly string[];
  /** The verifier function. */
  readonly verifier?: {
    /** Replace the bundle with an in-process handler (e.g. to inspect the events). @default - the bundle the template deploys */
    readonly implementation?: LambdaHandler;
    /** Override the template's Timeout, in milliseconds. @default - the template's */
    readonly timeoutMs?: number;
  };
  /** Test knobs of the SQS pollers. */
  readonly poller?: PollerOptions;
  /** Override processor functions' Timeout, in milliseconds. @default - the template's (Lambda's default: 3 s) */
  readonly processorTimeoutMs?: number;
  /**
   * Emulate SQS FIFO deduplication (5-minute window, DeduplicationScope) in the proxy, which moto
   * does not do faithfully. @default true
   */
  readonly sqsDeduplication?: boolean;
  /** The emulated deduplication window, e.g. short to test what happens once it has passed. @default 300000 (5 minutes, as SQS) */
  readonly sqsDeduplicationWindowMs?: number;
  /** `AWS_MAX_ATTEMPTS` for hosted functions' SDK clients. @default - the SDK's default (3) */
  readonly sdkMaxAttempts?: number;
  /** Enforce the stage's throttling (token bucket: rate and burst from the template). @default false */
  readonly enforceThrottling?: boolean;
  /** Seed for fractional faults. @default 1 */
  readonly seed?: number;
  /** Receives every log line of hosted functions. @default - kept in `harness.logs` (the last 5,000–10,000) */
  readonly onLog?: (entry: LogEntry) => void;
  /** Keep the created resources on stop. @default false */
  readonly keepResources?: boolean;
  /** Port of the HTTP server. @default 0 (a free port) */
  readonly port?: number;
}

/** A request to send to the local endpoint. */
export interface HarnessRequest {
  readonly body?: string | Buffer;
  /** Header values; an array sends the header once per value. Pairs keep order and case exactly. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>> | ReadonlyArray<readonly [string, string]>;
  /** Query string: a map (arrays repeat the name) or a raw `a=1&b=2`. */
  readonly query?: Readonly<Record<string, string | readonly string[]>> | string;
  /** Resource path on the stage. @default - the endpoint's path, e.g. '/webhook' */
  readonly path?: string;
  /** @default 'POST' */
  readonly method?: string;
}

/** The HTTP response of the local endpoint. */
export interface HarnessResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

/** One processor of the endpoint, as the harness runs it. */
export interface HarnessProcessor {
  readonly name: string;
  readonly queue: LocalQueue;
  readonly deadLetterQueue?: LocalQueue;
  /** Absent when no implementation was supplied or found (the queue is then not polled). */
  readonly poller?: SqsEventSourcePoller;
  readonly function?: LambdaFunctionHost;
}

/** A running local endpoint. See {@link startHarness}. */
export interface Harness {
  /** The local webhook URL, e.g. `http://127.0.0.1:41234/prod/webhook`. */
  readonly url: string;
  /**
   * The URL the verifier sees requests arrive at: the endpoint's `publicUrl` when set, else the
   * deployed API's URL. Providers that sign the URL (Twilio, Square) must sign this one.
   */
  readonly publicUrl: string;
  /** The verifier's configuration as deployed (references resolved to the emulated resources). */
  readonly config: VerifierConfig;
  /** The idempotency table. */
  readonly table: LocalTable;
  /** The endpoint's event bucket (large bodies, the archive), when its verifier configuration names one. */
  readonly eventBucket?: LocalBucket;
  /** The signing secret's ARN. */
  readonly signingSecretArn: string;
  /** Processors by name. */
  readonly processors: Readonly<Record<string, HarnessProcessor>>;
  /** Everything created from the template. */
  readonly resources: LocalResources;
  /** Counts every AWS call of hosted functions, pollers and processor clients; injects faults. */
  readonly proxy: AwsProxy;
  /** The clock the hosted bundles see. */
  readonly clock: SandboxClock;
  /** The API Gateway emulation (stats, recent events). */
  readonly api: RestApiEmulator;
  /** The verifier function host (stats, timeouts, environments). */
  readonly verifier: LambdaFunctionHost;
  /** Clients straight to the emulator: not counted, never faulted. */
  readonly aws: EmulatorClients;
  /** Recent log lines of hosted functions (the last 5,000–10,000). */
  readonly logs: readonly LogEntry[];
  /** Warnings about parts of the template the harness does not run. */
  readonly warnings: readonly string[];
  /** Sends a request to the local endpoint. */
  post(request?: HarnessRequest): Promise<HarnessResponse>;
  /** Sum of an Embedded Metric Format metric the hosted functions emitted, optionally for given dimension values. */
  metric(name: string, dimensions?: Readonly<Record<string, string>>): number;
  /** Client settings whose calls are counted at the proxy under `caller` (role `client`). */
  clientConfig(caller: string): Promise<AwsClientConfig>;
  /** Stores a new value in the signing secret (a string, or a rotation list serialised as JSON). */
  setSigningSecret(value: string | readonly unknown[]): Promise<void>;
  /**
   * Resolves when no request is being handled, no processor invocation runs and every polled
   * queue is empty (nothing visible, in flight or delayed). Throws after `timeoutMs`.
   */
  waitForIdle(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Stops everything and deletes the created resources (unless `keepResources`). */
  stop(): Promise<void>;
}
