import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type {
  AlarmOptions, AnomalyAlarmOptions, EndpointAlarmOptions, EndpointAlarms, ProcessorAlarmOptions, ProcessorAlarms, TokenAlarmOptions, TokenAlarms,
} from '../monitoring';
import type { PropsValidator } from './validation';

// The alarms of endpoints, processors and scoped tokens: each alarm's metric, default threshold and
// runbook description, the checks of the user's overrides, and the set of actions wired to them.

/** What one alarm watches, and its defaults. */
export interface AlarmSpec {
  /** The metric, aggregated over the given period. */
  readonly metric: (period: Duration) => cloudwatch.IMetric;
  readonly threshold: number;
  readonly period: Duration;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /** What the alarm means and what to do; CloudWatch shows it in every notification. */
  readonly description: string;
}

/** Creates a threshold alarm from its spec and the user's overrides. */
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

/** Checks {@link AlarmOptions}; each problem names the prop path and the value. */
export function validateAlarmOptions(v: PropsValidator, prop: string, options: AlarmOptions | undefined): void {
  if (!options) return;
  v.range(`${prop}.threshold`, options.threshold, 0, Number.MAX_SAFE_INTEGER);
  validatePeriods(v, prop, options);
}

/** Checks {@link AnomalyAlarmOptions}. */
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

/** Alarms plus the actions wired to them: an action added now also reaches alarms added later. */
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

export type MetricFn = (props?: cloudwatch.MetricOptions) => cloudwatch.IMetric;

/** The metrics an endpoint's alarms watch: the endpoint's own `metric*()` methods. */
export interface EndpointMetricSource {
  readonly metricSignatureFailures: MetricFn;
  readonly metricVerifierErrors: MetricFn;
  readonly metricVerifierServerErrors: MetricFn;
  readonly metricApiServerErrors: MetricFn;
  readonly metricSigningSecretEntriesDropped: MetricFn;
  readonly metricConflictingReplays: MetricFn;
}

/** The metrics a processor's alarms watch: the processor's own `metric*()` methods. */
export interface ProcessorMetricSource {
  readonly name: string;
  readonly metricDeadLetterMessages: MetricFn;
  readonly metricOldestMessageAge: MetricFn;
  readonly metricFailures: MetricFn;
  readonly metricErrors: MetricFn;
  readonly metricThrottles: MetricFn;
}

/** The metrics a scoped token's alarms watch: the token's own `metric*()` methods. */
export interface TokenMetricSource {
  readonly tokenName: string;
  readonly metricUsage: (props?: cloudwatch.MetricOptions) => cloudwatch.Metric;
  readonly metricRotationErrors: MetricFn;
}

const GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

/** Checks the endpoint's `alarms` prop. */
export function validateEndpointAlarmOptions(v: PropsValidator, options: EndpointAlarmOptions | undefined): void {
  for (const key of ['signatureFailures', 'verifierErrors', 'verifierServerErrors', 'apiServerErrors', 'signingSecretEntriesDropped', 'conflictingReplays'] as const) validateAlarmOptions(v, `alarms.${key}`, options?.[key]);
}

/** Checks a processor's `alarms` option. */
export function validateProcessorAlarmOptions(v: PropsValidator, options: ProcessorAlarmOptions | undefined): void {
  for (const key of ['deadLetterMessages', 'oldestMessageAge', 'failures', 'errors', 'throttles'] as const) validateAlarmOptions(v, `alarms.${key}`, options?.[key]);
}

/** Checks a scoped token's `alarms` prop. */
export function validateTokenAlarmOptions(v: PropsValidator, options: TokenAlarmOptions | undefined): void {
  validateAlarmOptions(v, 'alarms.usageCeiling', options?.usageCeiling);
  validateAnomalyOptions(v, 'alarms.usageAnomaly', options?.usageAnomaly);
  validateAlarmOptions(v, 'alarms.rotationErrors', options?.rotationErrors);
}

/** The endpoint's alarms: its defaults, with the user's overrides. */
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

/** A processor's alarms: its defaults, with the user's overrides. */
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

/** A scoped token's alarms and the anomaly detector its usage alarm reads. */
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
