import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

// The alarm options and alarms the constructs' props and fields name. The alarms are built, and
// the options checked, in private/alarms.ts; the dashboard in private/dashboard.ts.

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
