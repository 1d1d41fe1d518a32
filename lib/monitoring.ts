import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { PropsValidator } from './validation';

/** Overrides for one threshold alarm. Every field defaults to the alarm's own default (see README, "Alarms"). */
export interface AlarmOptions {
  /**
   * The threshold, in the metric's unit (a count, or seconds for ages).
   * @default - the alarm's default
   */
  readonly threshold?: number;
  /**
   * The period the metric is aggregated over (a multiple of one minute, at most one day).
   * @default - the alarm's default
   */
  readonly period?: Duration;
  /**
   * How many periods are evaluated.
   * @default 1
   */
  readonly evaluationPeriods?: number;
  /**
   * How many of the evaluated periods must breach.
   * @default - every evaluated period
   */
  readonly datapointsToAlarm?: number;
}

/** Overrides for an anomaly-detection alarm. */
export interface AnomalyAlarmOptions {
  /**
   * Width of the expected band, in standard deviations; the alarm fires above it.
   * @default 3
   */
  readonly standardDeviations?: number;
  /**
   * The period the metric is aggregated over (a multiple of one minute, at most one day).
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * How many periods are evaluated.
   * @default 1
   */
  readonly evaluationPeriods?: number;
  /**
   * How many of the evaluated periods must breach.
   * @default - every evaluated period
   */
  readonly datapointsToAlarm?: number;
}

/** What one alarm watches, and its defaults. @internal */
export interface AlarmSpec {
  /** The metric, aggregated over the given period. */
  readonly metric: (period: Duration) => cloudwatch.IMetric;
  readonly threshold: number;
  readonly period: Duration;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /** What the alarm means and what to do; CloudWatch shows it in every notification. */
  readonly description: string;
}

/** Creates a threshold alarm from its spec and the user's overrides. @internal */
export function thresholdAlarm(scope: Construct, id: string, spec: AlarmSpec, options: AlarmOptions = {}): cloudwatch.Alarm {
  const period = options.period ?? spec.period;
  const evaluationPeriods = options.evaluationPeriods ?? 1;
  return new cloudwatch.Alarm(scope, id, {
    metric: spec.metric(period),
    threshold: options.threshold ?? spec.threshold,
    comparisonOperator: spec.comparisonOperator,
    evaluationPeriods,
    datapointsToAlarm: options.datapointsToAlarm ?? evaluationPeriods,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: spec.description,
  });
}

/** Checks {@link AlarmOptions}; each problem names the prop path and the value. @internal */
export function validateAlarmOptions(v: PropsValidator, prop: string, options: AlarmOptions | undefined): void {
  if (!options) return;
  v.range(`${prop}.threshold`, options.threshold, 0, Number.MAX_SAFE_INTEGER);
  validatePeriods(v, prop, options);
}

/** Checks {@link AnomalyAlarmOptions}. @internal */
export function validateAnomalyOptions(v: PropsValidator, prop: string, options: AnomalyAlarmOptions | undefined): void {
  if (!options) return;
  v.range(`${prop}.standardDeviations`, options.standardDeviations, 0.1, 100);
  validatePeriods(v, prop, options);
}

function validatePeriods(v: PropsValidator, prop: string, options: AlarmOptions | AnomalyAlarmOptions): void {
  const seconds = options.period?.toSeconds();
  if (seconds !== undefined && !Token.isUnresolved(seconds)) {
    v.check(seconds >= 60 && seconds <= 86400 && seconds % 60 === 0, `${prop}.period must be a whole number of minutes between 1 minute and 1 day; got ${seconds} s`);
  }
  v.range(`${prop}.evaluationPeriods`, options.evaluationPeriods, 1, 100).integer(`${prop}.evaluationPeriods`, options.evaluationPeriods);
  v.range(`${prop}.datapointsToAlarm`, options.datapointsToAlarm, 1, options.evaluationPeriods ?? 1).integer(`${prop}.datapointsToAlarm`, options.datapointsToAlarm);
}

/**
 * Alarms plus the actions wired to them: an action added now also reaches alarms added later.
 * @internal
 */
export class AlarmActionSet {
  private readonly alarms: cloudwatch.Alarm[] = [];
  private readonly actions: cloudwatch.IAlarmAction[] = [];

  public addAlarms(...alarms: cloudwatch.Alarm[]): void {
    for (const alarm of alarms) {
      this.alarms.push(alarm);
      if (this.actions.length > 0) alarm.addAlarmAction(...this.actions);
    }
  }

  /** Adds each action once, to every alarm; returns the actions that were new. */
  public addActions(...actions: cloudwatch.IAlarmAction[]): cloudwatch.IAlarmAction[] {
    const added = actions.filter((action) => !this.actions.includes(action));
    this.actions.push(...added);
    if (added.length > 0) for (const alarm of this.alarms) alarm.addAlarmAction(...added);
    return added;
  }

  public get allActions(): readonly cloudwatch.IAlarmAction[] {
    return this.actions;
  }
}

/** Widget height of an alarm status widget listing `count` alarms. @internal */
export function alarmStatusHeight(count: number): number {
  return Math.max(2, Math.ceil(count / 4) + 1);
}

/** A standard graph of the dashboard. @internal */
export function graph(title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period: Duration.minutes(5), ...options });
}

// ---------------------------------------------------------------------------------------------
// Endpoint, processor and token alarms
// ---------------------------------------------------------------------------------------------

/** Overrides of the endpoint's alarms. */
export interface EndpointAlarmOptions {
  /**
   * Requests whose signature was missing, malformed or wrong: an attack, or a signing secret that no longer matches the sender's.
   * @default - at least 10 in 5 minutes
   */
  readonly signatureFailures?: AlarmOptions;
  /**
   * Verifier invocations that crashed or timed out (API Gateway answers 502).
   * @default - at least 1 in 5 minutes
   */
  readonly verifierErrors?: AlarmOptions;
  /**
   * Requests the verifier answered 503: the signing secret is unset or unreadable, or DynamoDB/SQS failed.
   * @default - at least 5 in 5 minutes
   */
  readonly verifierServerErrors?: AlarmOptions;
  /**
   * API Gateway 5XX responses of any origin (verifier 503s and 502s, integration failures).
   * @default - at least 5 in 5 minutes
   */
  readonly apiServerErrors?: AlarmOptions;
  /**
   * Entries of the signing-secret value the verifier dropped as malformed (fail closed): a secret
   * meant to be accepted, e.g. during a roll, is not.
   * @default - at least 1 in 5 minutes
   */
  readonly signingSecretEntriesDropped?: AlarmOptions;
  /**
   * Signed content refused because it had already arrived as another event type or with another
   * body (409 `conflicting_replay`): captured bytes re-sent with changed unsigned parts — or, if they
   * beat the provider's own delivery, the provider's delivery refused (see README, security model).
   * @default - at least 1 in 5 minutes
   */
  readonly conflictingReplays?: AlarmOptions;
}

/** The endpoint's alarms. */
export interface EndpointAlarms {
  readonly signatureFailures: cloudwatch.IAlarm;
  readonly verifierErrors: cloudwatch.IAlarm;
  readonly verifierServerErrors: cloudwatch.IAlarm;
  readonly apiServerErrors: cloudwatch.IAlarm;
  readonly signingSecretEntriesDropped: cloudwatch.IAlarm;
  readonly conflictingReplays: cloudwatch.IAlarm;
}

/** Overrides of a processor's alarms. */
export interface ProcessorAlarmOptions {
  /**
   * Messages in the processor's dead-letter queue (Maximum of ApproximateNumberOfMessagesVisible).
   * @default - at least 1, over 1 minute
   */
  readonly deadLetterMessages?: AlarmOptions;
  /**
   * Age of the oldest message waiting in the queue, in seconds: the processing lag.
   * @default - at least 900 s (15 minutes), over 5 minutes
   */
  readonly oldestMessageAge?: AlarmOptions;
  /**
   * Events whose handler threw (each is retried, then dead-lettered).
   * @default - at least 5 in 5 minutes
   */
  readonly failures?: AlarmOptions;
  /**
   * Invocations of the processor function that crashed or timed out (the whole batch is retried).
   * @default - at least 1 in 5 minutes
   */
  readonly errors?: AlarmOptions;
  /**
   * Throttled invocations of the processor function.
   * @default - at least 5 in 5 minutes
   */
  readonly throttles?: AlarmOptions;
}

/** A processor's alarms. */
export interface ProcessorAlarms {
  readonly deadLetterMessages: cloudwatch.IAlarm;
  readonly oldestMessageAge: cloudwatch.IAlarm;
  readonly failures: cloudwatch.IAlarm;
  readonly errors: cloudwatch.IAlarm;
  readonly throttles: cloudwatch.IAlarm;
}

/** Overrides of a scoped token's alarms. */
export interface TokenAlarmOptions {
  /**
   * Static ceiling on uses of the token (`tokens.get`), summed over all processors.
   * @default - more than 1000 in 5 minutes
   */
  readonly usageCeiling?: AlarmOptions;
  /**
   * Uses above the band CloudWatch anomaly detection learned from the token's history.
   * @default - above 3 standard deviations, over 5 minutes
   */
  readonly usageAnomaly?: AnomalyAlarmOptions;
  /**
   * Failed invocations of the rotation function (a rotation step or the grace sweep).
   * @default - at least 1 in 1 hour
   */
  readonly rotationErrors?: AlarmOptions;
}

/** A scoped token's alarms. */
export interface TokenAlarms {
  readonly usageCeiling: cloudwatch.IAlarm;
  readonly usageAnomaly: cloudwatch.IAlarm;
  readonly rotationErrors: cloudwatch.IAlarm;
}

type MetricFn = (props?: cloudwatch.MetricOptions) => cloudwatch.IMetric;

/** @internal */
export interface EndpointMetricSource {
  readonly metricSignatureFailures: MetricFn;
  readonly metricVerifierErrors: MetricFn;
  readonly metricVerifierServerErrors: MetricFn;
  readonly metricApiServerErrors: MetricFn;
  readonly metricSigningSecretEntriesDropped: MetricFn;
  readonly metricConflictingReplays: MetricFn;
}

/** @internal */
export interface ProcessorMetricSource {
  readonly name: string;
  readonly metricDeadLetterMessages: MetricFn;
  readonly metricOldestMessageAge: MetricFn;
  readonly metricFailures: MetricFn;
  readonly metricErrors: MetricFn;
  readonly metricThrottles: MetricFn;
}

/** @internal */
export interface TokenMetricSource {
  readonly tokenName: string;
  readonly metricUsage: (props?: cloudwatch.MetricOptions) => cloudwatch.Metric;
  readonly metricRotationErrors: MetricFn;
}

const GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

/** @internal */
export function validateEndpointAlarmOptions(v: PropsValidator, options: EndpointAlarmOptions | undefined): void {
  for (const key of ['signatureFailures', 'verifierErrors', 'verifierServerErrors', 'apiServerErrors', 'signingSecretEntriesDropped', 'conflictingReplays'] as const) validateAlarmOptions(v, `alarms.${key}`, options?.[key]);
}

/** @internal */
export function validateProcessorAlarmOptions(v: PropsValidator, options: ProcessorAlarmOptions | undefined): void {
  for (const key of ['deadLetterMessages', 'oldestMessageAge', 'failures', 'errors', 'throttles'] as const) validateAlarmOptions(v, `alarms.${key}`, options?.[key]);
}

/** @internal */
export function validateTokenAlarmOptions(v: PropsValidator, options: TokenAlarmOptions | undefined): void {
  validateAlarmOptions(v, 'alarms.usageCeiling', options?.usageCeiling);
  validateAnomalyOptions(v, 'alarms.usageAnomaly', options?.usageAnomaly);
  validateAlarmOptions(v, 'alarms.rotationErrors', options?.rotationErrors);
}

/** @internal */
export function createEndpointAlarms(scope: Construct, source: EndpointMetricSource, options: EndpointAlarmOptions = {}): EndpointAlarms & { readonly all: cloudwatch.Alarm[] } {
  const fiveMinutes = Duration.minutes(5);
  const signatureFailures = thresholdAlarm(scope, 'SignatureFailuresAlarm', {
    metric: (period) => source.metricSignatureFailures({ period }), threshold: 10, period: fiveMinutes, comparisonOperator: GTE,
    description: 'Webhook signature failures spiked: someone is sending forged requests, or the signing secret no longer matches the provider\'s (check the Rejected-by-reason widget; roll the secret if needed).',
  }, options.signatureFailures);
  const verifierErrors = thresholdAlarm(scope, 'VerifierErrorsAlarm', {
    metric: (period) => source.metricVerifierErrors({ period }), threshold: 1, period: fiveMinutes, comparisonOperator: GTE,
    description: 'The webhook verifier crashed or timed out (senders got 502 and will retry). Check the verifier\'s logs.',
  }, options.verifierErrors);
  const verifierServerErrors = thresholdAlarm(scope, 'VerifierServerErrorsAlarm', {
    metric: (period) => source.metricVerifierServerErrors({ period }), threshold: 5, period: fiveMinutes, comparisonOperator: GTE,
    description: 'The webhook verifier answered 503: the signing secret is unset or unreadable, or DynamoDB/SQS failed. Senders retry; fix before their retry window ends.',
  }, options.verifierServerErrors);
  const apiServerErrors = thresholdAlarm(scope, 'ApiServerErrorsAlarm', {
    metric: (period) => source.metricApiServerErrors({ period }), threshold: 5, period: fiveMinutes, comparisonOperator: GTE,
    description: 'The webhook API answered 5XX. Check the verifier alarms and the API access log.',
  }, options.apiServerErrors);
  const signingSecretEntriesDropped = thresholdAlarm(scope, 'SigningSecretEntriesDroppedAlarm', {
    metric: (period) => source.metricSigningSecretEntriesDropped({ period }), threshold: 1, period: fiveMinutes, comparisonOperator: GTE,
    description: 'The verifier dropped malformed entries of the signing-secret value (fail closed): a secret meant to be accepted, e.g. during a roll, is not. The verifier\'s WARN log "signing secret entries dropped" gives each entry\'s index and reason; fix the value (README, "Rolling the signing secret").',
  }, options.signingSecretEntriesDropped);
  const conflictingReplays = thresholdAlarm(scope, 'ConflictingReplaysAlarm', {
    metric: (period) => source.metricConflictingReplays({ period }), threshold: 1, period: fiveMinutes, comparisonOperator: GTE,
    description: 'Signed content arrived again as another event type or with another body and was refused (409 conflicting_replay): someone re-sent captured requests with changed unsigned parts. If it came from the provider itself, its delivery was beaten by a replay of the same bytes: the verifier\'s WARN log "rejected" with code conflicting_replay names the event; the claim item shows what was enqueued instead.',
  }, options.conflictingReplays);
  return {
    signatureFailures, verifierErrors, verifierServerErrors, apiServerErrors, signingSecretEntriesDropped, conflictingReplays,
    all: [signatureFailures, verifierErrors, verifierServerErrors, apiServerErrors, signingSecretEntriesDropped, conflictingReplays],
  };
}

/** @internal */
export function createProcessorAlarms(scope: Construct, source: ProcessorMetricSource, options: ProcessorAlarmOptions = {}): ProcessorAlarms & { readonly all: cloudwatch.Alarm[] } {
  const fiveMinutes = Duration.minutes(5);
  const name = source.name;
  const deadLetterMessages = thresholdAlarm(scope, 'DeadLetterMessagesAlarm', {
    metric: (period) => source.metricDeadLetterMessages({ period }), threshold: 1, period: Duration.minutes(1), comparisonOperator: GTE,
    description: `Processor "${name}" dead-lettered events: they failed every attempt. Fix the cause, then redrive the DLQ to the queue.`,
  }, options.deadLetterMessages);
  const oldestMessageAge = thresholdAlarm(scope, 'OldestMessageAgeAlarm', {
    metric: (period) => source.metricOldestMessageAge({ period }), threshold: 900, period: fiveMinutes, comparisonOperator: GTE,
    description: `Processor "${name}" is falling behind (oldest waiting message, seconds): a failing message group blocks later events of the group, or the function cannot keep up.`,
  }, options.oldestMessageAge);
  const failures = thresholdAlarm(scope, 'FailuresAlarm', {
    metric: (period) => source.metricFailures({ period }), threshold: 5, period: fiveMinutes, comparisonOperator: GTE,
    description: `Processor "${name}" handler failures: events are being retried. Check the function's logs (a rejected token? call tokens.invalidate).`,
  }, options.failures);
  const errors = thresholdAlarm(scope, 'ErrorsAlarm', {
    metric: (period) => source.metricErrors({ period }), threshold: 1, period: fiveMinutes, comparisonOperator: GTE,
    description: `Processor "${name}" function crashed or timed out: the whole batch is retried. Check its logs, timeout and memory.`,
  }, options.errors);
  const throttles = thresholdAlarm(scope, 'ThrottlesAlarm', {
    metric: (period) => source.metricThrottles({ period }), threshold: 5, period: fiveMinutes, comparisonOperator: GTE,
    description: `Processor "${name}" function is throttled: the account's or the function's concurrency is exhausted.`,
  }, options.throttles);
  return { deadLetterMessages, oldestMessageAge, failures, errors, throttles, all: [deadLetterMessages, oldestMessageAge, failures, errors, throttles] };
}

/** @internal */
export function createTokenAlarms(scope: Construct, source: TokenMetricSource, options: TokenAlarmOptions = {}):
TokenAlarms & { readonly all: cloudwatch.Alarm[]; readonly anomalyDetector: cloudwatch.CfnAnomalyDetector } {
  const name = source.tokenName;
  const usageCeiling = thresholdAlarm(scope, 'UsageCeilingAlarm', {
    metric: (period) => source.metricUsage({ period }), threshold: 1000, period: Duration.minutes(5), comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    description: `Scoped token "${name}" is used more than its ceiling allows: a runaway loop or abuse of the workflow. If unexplained, rotate the token now (RotateSecret) and look at who calls.`,
  }, options.usageCeiling);

  const usage = source.metricUsage();
  const anomalyDetector = new cloudwatch.CfnAnomalyDetector(scope, 'UsageAnomalyDetector', {
    singleMetricAnomalyDetector: {
      namespace: usage.namespace,
      metricName: usage.metricName,
      dimensions: Object.entries(usage.dimensions ?? {}).map(([dimension, value]) => ({ name: dimension, value: String(value) })),
      stat: 'Sum',
    },
  });
  const anomaly = options.usageAnomaly ?? {};
  const evaluationPeriods = anomaly.evaluationPeriods ?? 1;
  const usageAnomaly = new cloudwatch.AnomalyDetectionAlarm(scope, 'UsageAnomalyAlarm', {
    metric: source.metricUsage({ period: anomaly.period ?? Duration.minutes(5) }),
    stdDevs: anomaly.standardDeviations ?? 3,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
    evaluationPeriods,
    datapointsToAlarm: anomaly.datapointsToAlarm ?? evaluationPeriods,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: `Scoped token "${name}" is used far more than its usual pattern (anomaly band): a token that fires hourly suddenly fires a hundred times. Check the callers; rotate it if unexplained.`,
  });
  // The model exists (and is deleted with the stack) before the alarm that reads it.
  usageAnomaly.node.addDependency(anomalyDetector);

  const rotationErrors = thresholdAlarm(scope, 'RotationErrorsAlarm', {
    metric: (period) => source.metricRotationErrors({ period }), threshold: 1, period: Duration.hours(1), comparisonOperator: GTE,
    description: `Rotation of scoped token "${name}" failed (a step or the grace sweep): the token is not renewed, or an old one not revoked. Check the rotation function's logs and the issuer.`,
  }, options.rotationErrors);
  return { usageCeiling, usageAnomaly, rotationErrors, anomalyDetector, all: [usageCeiling, usageAnomaly, rotationErrors] };
}

// ---------------------------------------------------------------------------------------------
// Dashboard
// ---------------------------------------------------------------------------------------------

/** @internal */
export interface PipelineSource {
  readonly endpointName: string;
  readonly namespace: string;
  readonly rejectedMetricName: string;
  readonly endpointDimension: string;
  readonly reasonDimension: string;
  readonly metricReceived: MetricFn;
  readonly metricEnqueued: MetricFn;
  readonly metricDuplicates: MetricFn;
  readonly metricSignatureFailures: MetricFn;
  readonly metricVerifierErrors: MetricFn;
  readonly metricVerifierServerErrors: MetricFn;
  readonly metricApiServerErrors: MetricFn;
  readonly metricSigningSecretEntriesDropped: MetricFn;
}

/** The pipeline rows: received → rejected by reason → duplicates → enqueued, and the endpoint's alarms. @internal */
export function addPipelineWidgets(dashboard: cloudwatch.Dashboard, source: PipelineSource, alarms: readonly cloudwatch.IAlarm[]): void {
  const rejectedByReason = new cloudwatch.MathExpression({
    expression: `SEARCH('{${source.namespace},${source.endpointDimension},${source.reasonDimension}} MetricName="${source.rejectedMetricName}" ${source.endpointDimension}="${source.endpointName}"', 'Sum', 300)`,
    label: '',
    period: Duration.minutes(5),
  });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({ markdown: `## Webhooks: ${source.endpointName}\nReceived → verified → claimed once → enqueued → processed. See README, "Alarms".`, width: 24, height: 2 }),
  );
  dashboard.addWidgets(
    graph('Received, enqueued, duplicates', [
      source.metricReceived({ label: 'Received' }), source.metricEnqueued({ label: 'Enqueued' }), source.metricDuplicates({ label: 'Duplicates' }),
    ]),
    graph('Rejected by reason', [rejectedByReason], { right: [source.metricSignatureFailures({ label: 'Signature failures' })] }),
    graph('Errors', [
      source.metricVerifierErrors({ label: 'Verifier errors' }), source.metricVerifierServerErrors({ label: 'Verifier 503s' }),
      source.metricApiServerErrors({ label: 'API 5XX' }), source.metricSigningSecretEntriesDropped({ label: 'Signing-secret entries dropped' }),
    ]),
  );
  dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Endpoint alarms', alarms: [...alarms], width: 24, height: alarmStatusHeight(alarms.length) }));
}

/** One row per processor: processed and failed, DLQ depth, lag. @internal */
export function addProcessorWidgets(dashboard: cloudwatch.Dashboard, source: ProcessorMetricSource & { readonly metricProcessed: MetricFn }, alarms: readonly cloudwatch.IAlarm[]): void {
  dashboard.addWidgets(
    graph(`Processor ${source.name}: processed, failed`, [source.metricProcessed({ label: 'Processed' }), source.metricFailures({ label: 'Failed' })], { width: 6 }),
    graph(`Processor ${source.name}: DLQ depth`, [source.metricDeadLetterMessages({ label: 'Dead-lettered', period: Duration.minutes(5) })], { width: 6 }),
    graph(`Processor ${source.name}: oldest message age (s)`, [source.metricOldestMessageAge({ label: 'Oldest message age', period: Duration.minutes(5) })], { width: 6 }),
    new cloudwatch.AlarmStatusWidget({ title: `Processor ${source.name} alarms`, alarms: [...alarms], width: 6, height: 6 }),
  );
}

/** One row per scoped token: usage against its ceiling, against its anomaly band, and by processor. @internal */
export function addTokenWidgets(
  dashboard: cloudwatch.Dashboard,
  source: TokenMetricSource & { readonly namespace: string; readonly tokenDimension: string; readonly endpointDimension: string; readonly processorDimension: string },
  alarms: TokenAlarms,
): void {
  const usage = source.metricUsage();
  const byProcessor = new cloudwatch.MathExpression({
    expression: `SEARCH('{${source.namespace},${source.endpointDimension},${source.processorDimension},${source.tokenDimension}} MetricName="${usage.metricName}" ${source.tokenDimension}="${usage.dimensions?.[source.tokenDimension]}"', 'Sum', 300)`,
    label: '',
    period: Duration.minutes(5),
  });
  dashboard.addWidgets(
    new cloudwatch.AlarmWidget({ title: `Token ${source.tokenName}: usage vs ceiling`, alarm: alarms.usageCeiling, width: 6, height: 6 }),
    new cloudwatch.AlarmWidget({ title: `Token ${source.tokenName}: usage vs expected band`, alarm: alarms.usageAnomaly, width: 6, height: 6 }),
    graph(`Token ${source.tokenName}: usage by processor`, [byProcessor], { width: 6 }),
    new cloudwatch.AlarmStatusWidget({ title: `Token ${source.tokenName} alarms`, alarms: [alarms.usageCeiling, alarms.usageAnomaly, alarms.rotationErrors], width: 6, height: 6 }),
  );
}
