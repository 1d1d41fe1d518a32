import { Annotations, ArnFormat, CfnOutput, Duration, Lazy, RemovalPolicy, SecretValue, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENV, ERROR_CODES, KEY_PREFIX, METRICS, TABLE, UNSET_SECRET_PLACEHOLDER, type VerifierConfig } from '../lambda/shared/contract';
import {
  createEventBucket, grantArchiveErase, grantArchiveRead, grantReplayObjects, grantVerifierWrites, needsEventBucket, payloadLifetime,
  validateArchiveOptions,
} from './private/event-bucket';
import type { ArchiveOptions } from './archive';
import type { EndpointAlarmOptions, EndpointAlarms } from './monitoring';
import { AlarmActionSet, createEndpointAlarms, validateEndpointAlarmOptions } from './private/alarms';
import { BundledHandlerFunction } from './private/bundled-handler-function';
import { addPipelineWidgets, addProcessorWidgets, addTokenWidgets } from './private/dashboard';
import { grantKeyThroughService } from './private/key-grants';
import { EndpointMetricFactory } from './private/metrics';
import { checkovSkips } from './private/scanner-metadata';
import { SCANNER_REASONS } from './private/scanner-reasons';
import { PropsValidator, ValidationError } from './private/validation';
import { DEFAULT_DEAD_LETTER_RETENTION, DEFAULT_QUEUE_RETENTION, WebhookProcessor, type ProcessorOptions } from './processor';
import type { WebhookProvider } from './provider';
import type { IScopedToken } from './scoped-token';
import { endpointWafProps, validateWafOptions, WebhookWaf, type WebhookWafOptions } from './waf';

/** Stage throttling of the webhook API. */
export interface EndpointThrottle {
  /**
   * Steady-state requests per second.
   * @default 100
   */
  readonly rateLimit?: number;
  /**
   * Burst of requests above the rate.
   * @default 200
   */
  readonly burstLimit?: number;
}

/** Properties of {@link HardenedWebhookEndpoint}. */
export interface HardenedWebhookEndpointProps {
  /** The sender's signing scheme, e.g. `WebhookProvider.stripe()`. */
  readonly provider: WebhookProvider;
  /**
   * The secret holding the signing secret (or a JSON list of active ones, see README).
   * @default - a new secret holding a placeholder: the endpoint answers 503 until you set the value
   */
  readonly signingSecret?: secretsmanager.ISecret;
  /**
   * Path of the POST route.
   * @default 'webhook'
   */
  readonly path?: string;
  /**
   * How far a signed timestamp may be from the verifier's clock, in either direction.
   * @default Duration.minutes(5)
   */
  readonly timestampTolerance?: Duration;
  /**
   * Largest body accepted; larger ones get 413. At most {@link HardenedWebhookEndpoint.MAX_BODY_SIZE}
   * (4560 KiB, what a REST API can pass to Lambda). A body whose SQS message could exceed 1 MiB
   * travels through the endpoint's event bucket instead of inside its message, so above 160 KiB
   * (1 MiB less 64 KiB for the envelope, divided by six for JSON's worst escaping) the endpoint has
   * an event bucket (see {@link HardenedWebhookEndpoint.eventBucket}).
   * @default Size.kibibytes(256)
   */
  readonly maxBodySize?: Size;
  /**
   * Keep every verified event the endpoint accepts or ignores (never a rejected request) in its
   * event bucket, to be replayed to a processor (`hardened-webhooks replay`) or erased by event ID
   * (`hardened-webhooks archive erase`). See {@link ArchiveOptions}, and the `grantArchiveRead`,
   * `grantReplay` and `grantArchiveErase` methods for the roles that run those commands.
   * @default - no archive
   */
  readonly archive?: ArchiveOptions;
  /**
   * A bucket for the event bucket's S3 server access logs, under the prefix `<endpoint's unique ID>/`.
   * @default - no server access logs (CloudTrail data events, if enabled, record every object call)
   */
  readonly eventBucketAccessLogs?: s3.IBucket;
  /**
   * How long the verifier caches the signing secret; a new value takes effect within this time.
   * @default Duration.minutes(1)
   */
  readonly secretCacheTtl?: Duration;
  /**
   * How long event IDs are remembered. Keep it longer than the provider's retry window (Stripe retries for 3 days).
   * Processors keep their once-per-event records longer when their queues can hold an event's
   * message longer (see `ProcessorOptions.deadLetterRetentionPeriod`).
   * @default Duration.days(7)
   */
  readonly idempotencyRetention?: Duration;
  /**
   * Stage throttling.
   * @default - 100 requests per second, bursts of 200
   */
  readonly throttle?: EndpointThrottle;
  /**
   * Dot-separated JSON path of the value that names the FIFO message group (events of one group
   * are processed in order, groups in parallel), e.g. `data.object.customer`. Read from the verified
   * payload (the JSON body; the form fields of a form body); when it finds no non-empty string or
   * number there, the provider's default applies.
   * @default - the provider's default, documented on each `WebhookProvider` factory, else the event ID
   */
  readonly messageGroupPath?: string;
  /**
   * The public URL senders call, for schemes that sign the URL (Twilio, Square) behind a custom domain.
   * @default - rebuilt from the request API Gateway receives
   */
  readonly publicUrl?: string;
  /**
   * Customer-managed key that encrypts, at rest: the idempotency table, each processor's queue and
   * dead-letter queue, the event bucket (with an S3 Bucket Key), and the signing secret when the
   * endpoint creates it (no `signingSecret` given).
   * It encrypts nothing else: a `signingSecret` you pass keeps its own key (the verifier gets
   * `kms:Decrypt` on the key it was imported with, if any), each `ScopedToken` has its own
   * `encryptionKey`, and log groups and function environments use service-managed keys.
   *
   * Each function may use it only through the service that holds its data (`kms:ViaService`) and only
   * for its own table, queues or secret (encryption context): the verifier `kms:Decrypt` +
   * `kms:GenerateDataKey` through DynamoDB (table) and SQS (each processor queue), `kms:Decrypt`
   * through Secrets Manager (the created signing secret); a processor `kms:Decrypt` through SQS (its
   * queue) and `kms:Decrypt` + `kms:GenerateDataKey` through DynamoDB (table). With an event bucket,
   * through S3 for that bucket (encryption context `aws:s3:arn`): the verifier `kms:GenerateDataKey`,
   * a processor `kms:Decrypt`. The functions get nothing in the key policy, which must delegate to
   * IAM (the default key policy does).
   * @default - AWS-managed encryption (DynamoDB), SQS-managed encryption (queues), SSE-S3 (event
   * bucket) and the `aws/secretsmanager` key (created signing secret)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to the idempotency table, the created signing secret and the event bucket when the
   * stack is deleted. A retained event bucket keeps its lifecycle rules, so its objects still expire;
   * with `RemovalPolicy.DESTROY` CloudFormation deletes the bucket only if it is empty (its objects
   * are never deleted for you: an archive is data).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the verifier's and the API's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory of the verifier function, in MiB.
   * @default 256
   */
  readonly verifierMemorySize?: number;
  /**
   * Topic notified when any alarm of the endpoint, its processors or their scoped tokens changes to
   * ALARM. More actions can be added with {@link HardenedWebhookEndpoint.addAlarmAction}.
   * @default - the alarms have no actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Overrides of the endpoint's alarms.
   * @default - see {@link EndpointAlarmOptions}
   */
  readonly alarms?: EndpointAlarmOptions;
  /**
   * Whether to create a CloudWatch dashboard of the pipeline.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Puts a WAFv2 web ACL in front of the stage, with no rule that blocks a genuine delivery: AWS's IP
   * reputation list; a per-IP rate limit answered 429 (`rateLimit`, default 3000 requests per
   * `rateLimitWindow`, default 5 minutes); AWS's Known bad inputs rule set
   * (`AWSManagedRulesKnownBadInputsRuleSet`, unless `knownBadInputs: false`); AWS's Core rule set
   * only with `coreRuleSet: true`. Body-inspecting rules of both managed sets only count.
   * `waf: {}` for the defaults; see {@link WebhookWafOptions}.
   * @default - no web ACL
   */
  readonly waf?: WebhookWafOptions;
}

const PATH = /^[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*$/;

/*
 * The largest body a REST API can hand to a Lambda proxy integration. Lambda takes at most
 * 6,291,456 bytes in a synchronous request: the whole event, as JSON. API Gateway base64-encodes
 * every body (binaryMediaTypes '*' + '/' + '*'), 3 bytes into 4 characters, and the headers,
 * multiValueHeaders and requestContext are allowed 64 KiB:
 * floor((6,291,456 − 65,536) / 4) × 3 = 4,669,440 bytes = 4560 KiB. A larger request makes Lambda
 * refuse the invocation and API Gateway answer 5xx, which senders retry for days.
 */
const LAMBDA_SYNC_REQUEST_BYTES = 6_291_456;
const PROXY_EVENT_ALLOWANCE_BYTES = 64 * 1024;
const MAX_BODY_BYTES = Math.floor((LAMBDA_SYNC_REQUEST_BYTES - PROXY_EVENT_ALLOWANCE_BYTES) / 4) * 3;
const DEFAULT_MAX_BODY_SIZE = Size.kibibytes(256);

/**
 * A webhook receiver the open internet cannot fool: API Gateway → verifier Lambda (signature over
 * the exact bytes, timestamp window) → DynamoDB conditional-write claim per event ID → one SQS FIFO
 * queue per processor → your processor functions, each run once per event.
 */
export class HardenedWebhookEndpoint extends Construct {
  /**
   * The largest `maxBodySize`: 4560 KiB (4,669,440 bytes), what a REST API can pass to Lambda once
   * it base64-encodes the body, leaving 64 KiB of Lambda's 6 MiB request for headers and context.
   */
  public static readonly MAX_BODY_SIZE: Size = Size.bytes(MAX_BODY_BYTES);

  /** The REST API. */
  public readonly api: apigw.RestApi;
  /**
   * The URL senders post to: the `prod` stage URL followed by `path`. Also the endpoint's one stack
   * output (`<id>Url…`); RestApi's own `Endpoint` output (the stage's root URL) is removed.
   */
  public readonly url: string;
  /** The idempotency table (verifier claims and processor records). */
  public readonly table: dynamodb.ITable;
  /** The secret holding the signing secret(s). */
  public readonly signingSecret: secretsmanager.ISecret;
  /** The verifier function. */
  public readonly verifier: lambda.IFunction;
  /** The API's JSON access log. */
  public readonly accessLogGroup: logs.ILogGroup;
  /** Processors added with {@link addProcessor}. */
  public readonly processors: WebhookProcessor[] = [];
  /** The provider's scheme ID, e.g. `stripe`. */
  public readonly providerId: string;
  /** The endpoint's alarms (each processor and scoped token has its own `alarms`). */
  public readonly alarms: EndpointAlarms;
  /** The pipeline dashboard: received, rejected by reason, duplicates, enqueued, processed, DLQ depth, token usage. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The WAF web ACL in front of the stage, when `waf` is set. */
  public readonly waf?: WebhookWaf;
  /**
   * The event bucket: bodies too large for their SQS message (`payloads/<processor>/…`, one object
   * per processor, which may read only its own) and the archive (`archive/…`). Created when
   * `maxBodySize` is above 160 KiB (so with the default) or `archive` is set; undefined otherwise.
   *
   * Private, TLS 1.2+ only, bucket-owner-enforced; encrypted with `encryptionKey` (S3 Bucket Key on)
   * or SSE-S3. Unversioned on purpose: an erasure must leave no older version, and every object is
   * written once per digest. Large bodies expire once no message can still point at them (per
   * processor its queue retention, its dead-letter retention, a queue retention again for a
   * redriven message, and a day; the longest over the processors); archive records, their
   * time-index entries and replay markers after `archive.retention`; erasure audit entries (`archive/erasures/`, no
   * event data) are kept. Incomplete multipart uploads are aborted after a day.
   */
  public readonly eventBucket?: s3.IBucket;

  private readonly props: HardenedWebhookEndpointProps;
  private readonly endpointName: string;
  private readonly metrics: EndpointMetricFactory;
  private readonly alarmActions = new AlarmActionSet();
  private readonly tokens: IScopedToken[] = [];
  /** Principals granted `grantReplay`: each processor added later is granted to them too. */
  private readonly replayers: iam.IGrantable[] = [];

  public constructor(scope: Construct, id: string, props: HardenedWebhookEndpointProps) {
    super(scope, id);
    validateEndpointProps(this, props);
    this.props = props;
    this.providerId = props.provider.schemeId;
    this.endpointName = this.node.path;
    this.metrics = new EndpointMetricFactory(this.endpointName);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.signingSecret = props.signingSecret ?? this.createSigningSecret(props, removalPolicy);

    this.table = new dynamodb.Table(this, 'IdempotencyTable', {
      partitionKey: { name: TABLE.PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: props.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.TTL_ATTRIBUTE,
      removalPolicy,
    });
    if (!props.encryptionKey) {
      checkovSkips(this.table, { id: 'CKV_AWS_119', comment: 'Encrypted at rest with the AWS managed key; set encryptionKey for a customer-managed key.' });
    }

    if (needsEventBucket((props.maxBodySize ?? DEFAULT_MAX_BODY_SIZE).toBytes(), props.archive)) {
      this.eventBucket = createEventBucket(this, 'EventBucket', {
        encryptionKey: props.encryptionKey,
        removalPolicy,
        accessLogs: props.eventBucketAccessLogs,
        archive: props.archive,
        payloadLifetime: () => this.payloadLifetime(),
      });
    }

    const verifier = this.createVerifier(props);
    this.verifier = verifier;
    this.grantVerifier(verifier);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    checkovSkips(this.accessLogGroup, { id: 'CKV_AWS_158', comment: SCANNER_REASONS.endpointLogLines });
    this.api = this.createApi(props, verifier);
    if (props.waf) this.waf = new WebhookWaf(this, 'Waf', endpointWafProps(props.waf, this.api.deploymentStage, props.maxBodySize ?? DEFAULT_MAX_BODY_SIZE));
    this.url = this.api.urlForPath(`/${props.path ?? 'webhook'}`);
    // RestApi always adds an `Endpoint` output with the stage's root URL, which no sender posts to:
    // replace it with the one URL that matters, so each endpoint has exactly one output.
    this.api.node.tryRemoveChild('Endpoint');
    new CfnOutput(this, 'Url', { value: this.url, description: `POST ${this.providerId} webhooks here` });

    const alarms = createEndpointAlarms(this, this, props.alarms);
    this.alarms = alarms;
    this.alarmActions.addAlarms(...alarms.all);
    if (props.dashboard ?? true) {
      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
      addPipelineWidgets(this.dashboard, {
        endpointName: this.endpointName, metricFactory: this.metrics,
        metricReceived: (o) => this.metricReceived(o), metricEnqueued: (o) => this.metricEnqueued(o), metricDuplicates: (o) => this.metricDuplicates(o),
        metricSignatureFailures: (o) => this.metricSignatureFailures(o), metricVerifierErrors: (o) => this.metricVerifierErrors(o),
        metricVerifierServerErrors: (o) => this.metricVerifierServerErrors(o), metricApiServerErrors: (o) => this.metricApiServerErrors(o),
        metricSigningSecretEntriesDropped: (o) => this.metricSigningSecretEntriesDropped(o),
      }, alarms.all);
    }
    if (props.alarmTopic) this.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    this.node.addValidation({ validate: () => this.warnWithoutProcessors() });
  }

  /**
   * Adds actions (e.g. `new SnsAction(topic)`) to every alarm of the endpoint, of its processors and
   * of their scoped tokens — those added so far and those added later.
   */
  public addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    const added = this.alarmActions.addActions(...actions);
    for (const processor of this.processors) processor.addAlarmAction(...added);
    for (const token of this.tokens) token.addAlarmAction(...added);
  }

  /**
   * Adds a processor: its FIFO queue and dead-letter queue, an event source mapping with partial
   * batch responses, and only the permissions its runtime needs. The verifier sends every event the
   * processor subscribes to; the processor's runtime helper runs it once per event ID.
   *
   * On a `lambda.Function` it sets the runtime's environment: `HW_TABLE_NAME`, `HW_PROCESSOR_NAME`,
   * `HW_PROCESSOR_RECORD_TTL_SECONDS` (`idempotencyRetention`) and, with `tokens`, `HW_TOKENS` and
   * `HW_TOKEN_CACHE_TTL_SECONDS`. Any other function (imported, an alias or version) gets none of them:
   * a synth warning lists those to set yourself, and the grants reach it only if it has a role
   * (`fromFunctionAttributes({ role })`).
   *
   * @returns the {@link WebhookProcessor}: `name`, `queue`, `deadLetterQueue`, `handler`,
   * `eventTypes`, `tokens`, `alarms`, `addAlarmAction()` and its `metric*()` methods.
   */
  public addProcessor(handler: lambda.IFunction, options: ProcessorOptions): WebhookProcessor {
    const duplicate = this.processors.find((processor) => processor.name === options.name);
    if (duplicate) throw new ValidationError(this, [`name must be unique on this endpoint; got ${JSON.stringify(options.name)} twice`], 'addProcessor');
    const processor = new WebhookProcessor(this, options.name, {
      ...options,
      handler,
      table: this.table,
      endpointName: this.endpointName,
      recordRetention: this.props.idempotencyRetention ?? Duration.days(7),
      encryptionKey: this.props.encryptionKey,
      eventBucket: this.eventBucket,
    });
    for (const sender of [this.verifier, ...this.replayers]) this.grantSendTo(sender, processor);
    this.processors.push(processor);
    this.monitorProcessor(processor);
    return processor;
  }

  /**
   * Grants reading the signing secret: `secretsmanager:GetSecretValue` on it and, when it has a
   * customer-managed key, `kms:Decrypt` on that key only through Secrets Manager and only for this
   * secret (`kms:ViaService`, `kms:EncryptionContext:SecretARN`). Only the verifier needs it;
   * processors never do.
   */
  public grantReadSigningSecret(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [this.signingSecret.secretArn] });
    const key = this.signingSecret.encryptionKey;
    if (key) {
      // Secrets Manager puts the secret's full ARN in the encryption context. A secret imported by
      // partial ARN ends in a random 6-character suffix the condition cannot name exactly.
      const fullArn = this.signingSecret.secretFullArn;
      if (fullArn) {
        grantKeyThroughService(this, grantee, key, 'secretsmanager', ['kms:Decrypt'], { 'kms:EncryptionContext:SecretARN': fullArn });
      } else {
        const stack = Stack.of(this);
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['kms:Decrypt'],
          resourceArns: [key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
            StringLike: { 'kms:EncryptionContext:SecretARN': `${this.signingSecret.secretArn}-??????` },
          },
        });
      }
    }
    return grant;
  }

  /**
   * Grants reading the archive, as `hardened-webhooks archive show` and `archive list` do.
   *
   * `s3:GetObject` on the records (`archive/by-id/*`) and erasure entries (`archive/erasures/*`);
   * `s3:ListBucket` on the event bucket for the prefixes `archive/by-id/`, `archive/by-time/` and
   * `archive/erasures/` only (`s3:prefix`); with `encryptionKey`, `kms:Decrypt` through S3 for the
   * event bucket; and `cloudformation:GetTemplate` + `cloudformation:ListStackResources` on this
   * stack, where the CLI finds the bucket. Never the large bodies under `payloads/`. Refused
   * without `archive`.
   */
  public grantArchiveRead(grantee: iam.IGrantable): iam.Grant {
    return grantArchiveRead(this.archiveBucket('grantArchiveRead'), grantee).combine(this.grantStackRead(grantee));
  }

  /**
   * Grants what `hardened-webhooks replay` needs to send archived events to a processor again.
   *
   * Everything `grantArchiveRead` grants, with `s3:ListBucket` of `archive/replays/` too;
   * `s3:GetObject` on `archive/replays/*` and `s3:PutObject` there only to create a replay marker
   * (`s3:if-none-match`), so the same replay ID does nothing twice; `s3:PutObject` on `payloads/*` (a
   * replayed body too large for its message is stored there again), with `encryptionKey`
   * `kms:GenerateDataKey` through S3 for the event bucket; and `sqs:SendMessage` on every processor's queue — those added later too —
   * with `encryptionKey` `kms:Decrypt` + `kms:GenerateDataKey` through SQS for each queue. Refused
   * without `archive`.
   */
  public grantReplay(grantee: iam.IGrantable): iam.Grant {
    const grant = grantReplayObjects(this.archiveBucket('grantReplay'), grantee).combine(this.grantStackRead(grantee));
    this.replayers.push(grantee);
    for (const processor of this.processors) this.grantSendTo(grantee, processor);
    return grant;
  }

  /**
   * Grants what `hardened-webhooks archive erase` needs to remove one event by ID.
   *
   * `s3:GetBucketVersioning` on the event bucket; `s3:GetObject` on the records (`archive/by-id/*`);
   * `s3:ListBucket` for the prefixes `archive/by-id/`, `archive/by-time/`, `archive/replays/` and
   * `payloads/` only; `s3:DeleteObject` on `archive/by-id/*`, `archive/by-time/*`,
   * `archive/replays/*` and `payloads/*`; `s3:PutObject` on
   * `archive/erasures/*` only to create an audit entry (`s3:if-none-match`), never to overwrite
   * one; with `encryptionKey`, `kms:Decrypt` + `kms:GenerateDataKey` through S3 for the event
   * bucket; and `cloudformation:GetTemplate` + `cloudformation:ListStackResources` on this stack.
   * Refused without `archive`. An erasure in a bucket someone made versioned needs the `*Version`
   * actions too, which this does not grant.
   */
  public grantArchiveErase(grantee: iam.IGrantable): iam.Grant {
    return grantArchiveErase(this.archiveBucket('grantArchiveErase'), grantee).combine(this.grantStackRead(grantee));
  }

  /** Requests that reached the verifier. */
  public metricReceived(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(METRICS.RECEIVED, props);
  }

  /**
   * Requests the verifier refused: every reason together, or one `reason`, which is one of the
   * verifier's error codes (the `error` of its response bodies): `malformed_request`,
   * `malformed_body`, `body_too_large`, `missing_signature`, `missing_header`, `conflicting_header`,
   * `malformed_signature`, `bad_signature`, `malformed_timestamp`, `timestamp_out_of_window`,
   * `missing_event_id`, `conflicting_replay`, `message_too_large`, `signing_secret_unavailable`,
   * `downstream_unavailable`. Any other string names a metric that has no data. Requests API Gateway
   * refuses before the verifier runs (a required header missing, a body over API Gateway's own limit)
   * are not counted.
   */
  public metricRejected(reason?: string, props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    if (reason) return this.metrics.metricRejected(reason, props);
    return new cloudwatch.MathExpression({
      expression: `SUM(${this.metrics.rejectedByReason()})`,
      label: 'Rejected',
      period: props?.period ?? Duration.minutes(5),
    });
  }

  /** Requests whose signature was missing, malformed or wrong. */
  public metricSignatureFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(METRICS.SIGNATURE_FAILURES, props);
  }

  /**
   * Signed content refused because it had already arrived as another event type or with another body
   * (409 `conflicting_replay`); the endpoint alarms on it.
   */
  public metricConflictingReplays(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metricRejected(ERROR_CODES.CONFLICTING_REPLAY, props);
  }

  /**
   * Requests whose signed content had already been claimed by another event (another ID, type or
   * body), refused or answered as duplicates; nothing was enqueued for them.
   */
  public metricContentReplays(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(METRICS.CONTENT_REPLAYS, props);
  }

  /** Deliveries of events already enqueued. */
  public metricDuplicates(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(METRICS.DUPLICATES, props);
  }

  /** Events enqueued to their processors. */
  public metricEnqueued(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(METRICS.ENQUEUED, props);
  }

  /** DynamoDB or SQS failures that made the verifier answer 503. */
  public metricDownstreamFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(METRICS.DOWNSTREAM_FAILURES, props);
  }

  /** Verifier invocations that crashed or timed out. */
  public metricVerifierErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metricFunctionErrors(this.verifier, props);
  }

  /** Requests the verifier answered 503 (signing secret unset or unreadable, DynamoDB or SQS failed). */
  public metricVerifierServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: 'FILL(secret, 0) + FILL(downstream, 0)',
      usingMetrics: {
        secret: this.metricRejected(ERROR_CODES.SECRET_UNAVAILABLE, { period: props?.period }),
        downstream: this.metricRejected(ERROR_CODES.DOWNSTREAM_UNAVAILABLE, { period: props?.period }),
      },
      label: props?.label ?? 'Verifier 503s',
      period: props?.period ?? Duration.minutes(5),
    });
  }

  /** 5XX responses of the API, whatever their origin. */
  public metricApiServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metricApiServerErrors(this.api, props);
  }

  /** Entries of the signing-secret value the verifier dropped as malformed (fail closed), counted per fetch of the value. */
  public metricSigningSecretEntriesDropped(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metric(METRICS.SIGNING_SECRET_ENTRIES_DROPPED, props);
  }

  /** Wires the processor's and its new tokens' alarms to the endpoint's actions, and adds their dashboard rows. */
  private monitorProcessor(processor: WebhookProcessor): void {
    processor.addAlarmAction(...this.alarmActions.allActions);
    if (this.dashboard) {
      const a = processor.alarms;
      addProcessorWidgets(this.dashboard, processor, [a.deadLetterMessages, a.oldestMessageAge, a.failures, a.errors, a.throttles]);
    }
    for (const token of processor.tokens) {
      if (this.tokens.includes(token)) continue;
      this.tokens.push(token);
      token.addAlarmAction(...this.alarmActions.allActions);
      if (this.dashboard) addTokenWidgets(this.dashboard, token);
    }
  }

  /**
   * `sqs:SendMessage` on the processor's queue only. A queue under a customer-managed key needs a data
   * key (GenerateDataKey) and Decrypt of the cached one, through SQS and for this queue only.
   */
  private grantSendTo(grantee: iam.IGrantable, processor: WebhookProcessor): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage'], resourceArns: [processor.queue.queueArn] });
    if (processor.queue.encryptionMasterKey) {
      grantKeyThroughService(this, grantee, processor.queue.encryptionMasterKey, 'sqs', ['kms:Decrypt', 'kms:GenerateDataKey'], {
        'kms:EncryptionContext:aws:sqs:arn': processor.queue.queueArn,
      });
    }
  }

  /**
   * The longest any processor's large body must be kept, read at synthesis so that processors added
   * after the constructor count; with no processor (nothing is ever stored), a processor's defaults.
   */
  private payloadLifetime(): Duration {
    if (this.processors.length === 0) return payloadLifetime(DEFAULT_QUEUE_RETENTION, DEFAULT_DEAD_LETTER_RETENTION);
    return Duration.seconds(Math.max(...this.processors.map((processor) => processor._payloadLifetime.toSeconds())));
  }

  /**
   * Where the CLI finds the endpoint: the stack's template (the verifier's configuration) and its
   * resources' physical names. On this stack only, whichever stack the grantee is in.
   */
  private grantStackRead(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudformation:GetTemplate', 'cloudformation:ListStackResources'],
      resourceArns: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
    });
    if (grantee.grantPrincipal instanceof iam.Role) {
      // cdk-nag names the resource as it renders the ARN: tokens as <AWS::…>.
      const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
      const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
      Validations.of(grantee.grantPrincipal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:${region}:${account}:stack/${stack.stackName}/*]`,
        reason: 'A CloudFormation stack ARN ends in the stack\'s ID, unknown until the stack exists: `stack/<name>/*` is this stack under any ID, for the two read actions the CLI needs to find the event bucket.',
      });
    }
    return grant;
  }

  /** The event bucket of an endpoint with an archive; a validation error naming `method` otherwise. */
  private archiveBucket(method: string): s3.IBucket {
    if (!this.props.archive || !this.eventBucket) {
      throw new ValidationError(this, ['the endpoint has no archive; set the archive prop (e.g. archive: { retention: Duration.days(30) })'], method);
    }
    return this.eventBucket;
  }

  /**
   * Synthesizes, with a warning, an endpoint that has no processor: a staged rollout may deploy the
   * endpoint first, but until a processor is added every verified event is answered 200 `ignored`,
   * which senders take as delivered and never retry.
   */
  private warnWithoutProcessors(): string[] {
    if (this.processors.length === 0) {
      Annotations.of(this).addWarningV2('hardened-webhooks:noProcessor',
        'The endpoint has no processor: it answers `ignored` to every event it verifies until a processor is added (addProcessor), and senders do not retry an ignored event.');
    }
    return [];
  }

  private createSigningSecret(props: HardenedWebhookEndpointProps, removalPolicy: RemovalPolicy): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'SigningSecret', {
      description: `Signing secret for the ${this.providerId} webhook endpoint ${this.node.path}; set it to the value the provider gives you.`,
      // A placeholder, not a generated value: the provider issues the secret, and until it is set the
      // verifier answers 503 so that senders retry instead of losing deliveries.
      secretStringValue: SecretValue.unsafePlainText(UNSET_SECRET_PLACEHOLDER),
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });
    if (!props.encryptionKey) {
      checkovSkips(secret, { id: 'CKV_AWS_149', comment: 'Encrypted with the AWS managed key aws/secretsmanager; set encryptionKey for a customer-managed key.' });
    }
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The webhook provider issues and rolls the signing secret; Secrets Manager cannot rotate it. A roll is done by storing a JSON list of the new and old values, both accepted during the grace (README, "Rolling the signing secret").',
    });
    return secret;
  }

  private createVerifier(props: HardenedWebhookEndpointProps): lambda.Function {
    const fn = new BundledHandlerFunction(this, 'Verifier', {
      bundle: 'verifier',
      memorySize: props.verifierMemorySize ?? 256,
      timeout: Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      description: `Verifies ${this.providerId} webhook signatures, claims each event once, enqueues to processors.`,
      environment: {
        [ENV.VERIFIER_CONFIG]: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.verifierConfig()) }),
      },
      roleDescription: 'Webhook verifier: reads the signing secret, claims event IDs, stores large bodies and the archive, sends to processor queues.',
      logRetention: props.logRetention,
      logLines: SCANNER_REASONS.endpointLogLines,
      invocation: 'Invoked only synchronously, by API Gateway: a failure goes back to the sender as a 5xx and the sender retries. A dead-letter queue applies to asynchronous invocations only.',
      network: 'Calls only AWS APIs (Secrets Manager, DynamoDB, SQS) over TLS with IAM; a VPC would add NAT or endpoints and no protection.',
      concurrency: 'Concurrency is bounded by the stage throttle (rate and burst); reserving it would take capacity from the account pool.',
      environmentContents: 'The environment holds resource names, ARNs and endpoint settings only; the signing secret is read from Secrets Manager at run time. Lambda encrypts the environment at rest.',
    });
    Validations.of(fn.role as iam.IRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only the X-Ray statement (xray:PutTraceSegments, xray:PutTelemetryRecords) uses Resource::*; X-Ray has no resource-level permissions. Every other statement names the secret, table (with dynamodb:LeadingKeys), queue or an event bucket prefix.',
    });
    return fn;
  }

  private verifierConfig(): VerifierConfig {
    const props = this.props;
    return {
      endpointName: this.endpointName,
      provider: props.provider._config(),
      signingSecretArn: this.signingSecret.secretArn,
      secretCacheTtlSeconds: (props.secretCacheTtl ?? Duration.minutes(1)).toSeconds(),
      toleranceSeconds: (props.timestampTolerance ?? Duration.minutes(5)).toSeconds(),
      maxBodyBytes: (props.maxBodySize ?? DEFAULT_MAX_BODY_SIZE).toBytes(),
      tableName: this.table.tableName,
      retentionSeconds: (props.idempotencyRetention ?? Duration.days(7)).toSeconds(),
      groupKeyPath: props.messageGroupPath,
      publicUrl: props.publicUrl,
      processors: this.processors.map((processor) => processor._route()),
      eventBucket: this.eventBucket?.bucketName,
      archive: props.archive ? { headers: archiveHeaders(props.provider) } : undefined,
    };
  }

  /**
   * The verifier writes only its own claim items and, with an event bucket, only the objects it
   * stores (large bodies, archive records); it reads only the signing secret. With a customer-managed
   * key, it may use the key only through DynamoDB for this table and S3 for this bucket.
   */
  private grantVerifier(verifier: lambda.IFunction): void {
    this.grantReadSigningSecret(verifier);
    if (this.eventBucket) grantVerifierWrites(this.eventBucket, verifier, this.props.archive !== undefined);
    iam.Grant.addToPrincipal({
      grantee: verifier,
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${KEY_PREFIX.CLAIM}*`] } },
    });
    // DynamoDB decrypts the table key for reads and asks for data keys for writes, in the caller's name.
    if (this.table.encryptionKey) {
      grantKeyThroughService(this, verifier, this.table.encryptionKey, 'dynamodb', ['kms:Decrypt', 'kms:GenerateDataKey'], {
        'kms:EncryptionContext:aws:dynamodb:tableName': this.table.tableName,
      });
    }
  }

  private createApi(props: HardenedWebhookEndpointProps, verifier: lambda.IFunction): apigw.RestApi {
    const api = new apigw.RestApi(this, 'Api', {
      description: `${this.providerId} webhook receiver`,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Every body reaches the verifier base64-encoded: the bytes it checks are the bytes that were signed.
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'prod',
        throttlingRateLimit: props.throttle?.rateLimit ?? 100,
        throttlingBurstLimit: props.throttle?.burstLimit ?? 200,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false, httpMethod: true, ip: true, protocol: true, requestTime: true, resourcePath: true,
          responseLength: true, status: true, user: false,
        }),
        tracingEnabled: true,
        metricsEnabled: true,
      },
    });
    const validator = new apigw.RequestValidator(this, 'RequestValidator', { restApi: api, validateRequestParameters: true });
    const requestParameters = Object.fromEntries(props.provider.requiredHeaders.map((header) => [`method.request.header.${header}`, true]));
    const method = api.root.resourceForPath(props.path ?? 'webhook').addMethod('POST', new apigw.LambdaIntegration(verifier, { proxy: true }), {
      authorizationType: apigw.AuthorizationType.NONE,
      requestValidator: validator,
      requestParameters,
    });
    this.acknowledgeApiFindings(api, method, props.waf !== undefined);
    api.addGatewayResponse('MissingSignatureHeader', {
      type: apigw.ResponseType.BAD_REQUEST_PARAMETERS,
      statusCode: '400',
      templates: { 'application/json': '{"error":"missing_header","message":"$context.error.validationErrorString"}' },
    });
    api.addGatewayResponse('TooLarge', {
      type: apigw.ResponseType.REQUEST_TOO_LARGE,
      statusCode: '413',
      templates: { 'application/json': '{"error":"body_too_large","message":$context.error.messageString}' },
    });
    return api;
  }

  /** Findings inherent to a webhook receiver, each with the reason it is safe. */
  private acknowledgeApiFindings(api: apigw.RestApi, method: apigw.Method, waf: boolean): void {
    Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason: SCANNER_REASONS.signatureIsTheAuthentication });
    Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: SCANNER_REASONS.signatureIsTheAuthentication });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason: 'Request parameters are validated (the provider\'s signature headers are required, 400 otherwise). The body has no schema to check before its signature is verified; the verifier parses it only after verification.',
    });
    Validations.of(api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG6',
      reason: 'JSON access logs are enabled for every request. Execution logging needs the account-wide API Gateway CloudWatch role, which a library must not take over; it can be enabled on api.deploymentStage.',
    });
    checkovSkips(method, { id: 'CKV_AWS_59', comment: SCANNER_REASONS.signatureIsTheAuthentication });
    checkovSkips(api.deploymentStage, { id: 'CKV_AWS_120', comment: 'Caching does not apply: every POST is a distinct signed delivery and must reach the verifier.' });
    if (!waf) {
      Validations.of(api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'Signature verification and stage throttling protect the route. A web ACL is opt-in (`waf`), built for webhooks: generic managed rule sets block large or user-written legitimate bodies.',
      });
    }
  }
}

function validateEndpointProps(endpoint: HardenedWebhookEndpoint, props: HardenedWebhookEndpointProps): void {
  const v = new PropsValidator(endpoint);
  v.matches('path', props.path, PATH, 'URL path segments of letters, digits and ._~- separated by "/", without a leading "/"');
  v.range('timestampTolerance', props.timestampTolerance?.toSeconds(), 1, 3600, ' s');
  v.range('maxBodySize', props.maxBodySize?.toBytes(), 1, MAX_BODY_BYTES, ' bytes');
  v.range('secretCacheTtl', props.secretCacheTtl?.toSeconds(), 0, 900, ' s');
  v.range('idempotencyRetention', props.idempotencyRetention?.toDays({ integral: false }), 1, 365, ' days');
  v.range('throttle.rateLimit', props.throttle?.rateLimit, 1, 10000);
  v.range('throttle.burstLimit', props.throttle?.burstLimit, 1, 5000).integer('throttle.burstLimit', props.throttle?.burstLimit);
  v.range('verifierMemorySize', props.verifierMemorySize, 128, 10240).integer('verifierMemorySize', props.verifierMemorySize);
  v.matches('messageGroupPath', props.messageGroupPath, /^[^.\s]+(?:\.[^.\s]+)*$/, 'a dot-separated JSON path such as "data.object.customer"');
  v.matches('publicUrl', props.publicUrl, /^https:\/\/[^\s]+$/, 'an https:// URL');
  validateEndpointAlarmOptions(v, props.alarms);
  validateWafOptions(v, 'waf.', props.waf);
  validateArchiveOptions(v, props.archive);
  const maxBodyBytes = (props.maxBodySize ?? DEFAULT_MAX_BODY_SIZE).toBytes();
  v.check(props.eventBucketAccessLogs === undefined || needsEventBucket(maxBodyBytes, props.archive),
    `eventBucketAccessLogs is set, but the endpoint has no event bucket to log (maxBodySize is ${maxBodyBytes} bytes, at most 163840, and there is no archive)`);
  v.throwIfInvalid();
}

/**
 * The request headers kept with each archived event: those that identify it for this provider (its
 * required headers, and the headers its options name), and the content type — lower-case, once each.
 */
function archiveHeaders(provider: WebhookProvider): string[] {
  return [...new Set([...provider._identifyingHeaders(), 'content-type'].map((name) => name.toLowerCase()))];
}
