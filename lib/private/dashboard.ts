import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IScopedToken } from '../scoped-token';
import type { MetricFn, ProcessorMetricSource } from './alarms';
import { TokenMetricFactory, type EndpointMetricFactory } from './metrics';

// The endpoint's dashboard: a row for the pipeline, one per processor, one per scoped token. Its
// metrics come from the constructs' `metric*()` methods and the metric factories (private/metrics.ts).

/** Widget height of an alarm status widget listing `count` alarms. */
function alarmStatusHeight(count: number): number {
  return Math.max(2, Math.ceil(count / 4) + 1);
}

/** A standard graph of the dashboard. */
function graph(title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period: Duration.minutes(5), ...options });
}

/** A graph's SEARCH expression: one series per metric found, each labelled by its dimensions. */
function searchExpression(expression: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({ expression, label: '', period: Duration.minutes(5) });
}

/** What the pipeline rows show of an endpoint: its name, metric factory and `metric*()` methods. */
export interface PipelineSource {
  readonly endpointName: string;
  readonly metricFactory: EndpointMetricFactory;
  readonly metricReceived: MetricFn;
  readonly metricEnqueued: MetricFn;
  readonly metricDuplicates: MetricFn;
  readonly metricSignatureFailures: MetricFn;
  readonly metricVerifierErrors: MetricFn;
  readonly metricVerifierServerErrors: MetricFn;
  readonly metricApiServerErrors: MetricFn;
  readonly metricSigningSecretEntriesDropped: MetricFn;
}

/** The pipeline rows: received → rejected by reason → duplicates → enqueued, and the endpoint's alarms. */
export function addPipelineWidgets(dashboard: cloudwatch.Dashboard, source: PipelineSource, alarms: readonly cloudwatch.IAlarm[]): void {
  dashboard.addWidgets(
    new cloudwatch.TextWidget({ markdown: `## Webhooks: ${source.endpointName}\nReceived → verified → claimed once → enqueued → processed. See README, "Alarms".`, width: 24, height: 2 }),
  );
  dashboard.addWidgets(
    graph('Received, enqueued, duplicates', [
      source.metricReceived({ label: 'Received' }), source.metricEnqueued({ label: 'Enqueued' }), source.metricDuplicates({ label: 'Duplicates' }),
    ]),
    graph('Rejected by reason', [searchExpression(source.metricFactory.rejectedByReason())], { right: [source.metricSignatureFailures({ label: 'Signature failures' })] }),
    graph('Errors', [
      source.metricVerifierErrors({ label: 'Verifier errors' }), source.metricVerifierServerErrors({ label: 'Verifier 503s' }),
      source.metricApiServerErrors({ label: 'API 5XX' }), source.metricSigningSecretEntriesDropped({ label: 'Signing-secret entries dropped' }),
    ]),
  );
  dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Endpoint alarms', alarms: [...alarms], width: 24, height: alarmStatusHeight(alarms.length) }));
}

/** One row per processor: processed and failed, DLQ depth, lag. */
export function addProcessorWidgets(dashboard: cloudwatch.Dashboard, source: ProcessorMetricSource & { readonly metricProcessed: MetricFn }, alarms: readonly cloudwatch.IAlarm[]): void {
  dashboard.addWidgets(
    graph(`Processor ${source.name}: processed, failed`, [source.metricProcessed({ label: 'Processed' }), source.metricFailures({ label: 'Failed' })], { width: 6 }),
    graph(`Processor ${source.name}: DLQ depth`, [source.metricDeadLetterMessages({ label: 'Dead-lettered', period: Duration.minutes(5) })], { width: 6 }),
    graph(`Processor ${source.name}: oldest message age (s)`, [source.metricOldestMessageAge({ label: 'Oldest message age', period: Duration.minutes(5) })], { width: 6 }),
    new cloudwatch.AlarmStatusWidget({ title: `Processor ${source.name} alarms`, alarms: [...alarms], width: 6, height: 6 }),
  );
}

/** One row per scoped token: usage against its ceiling, against its anomaly band, and by processor. */
export function addTokenWidgets(dashboard: cloudwatch.Dashboard, token: IScopedToken): void {
  const { usageCeiling, usageAnomaly, rotationErrors } = token.alarms;
  dashboard.addWidgets(
    new cloudwatch.AlarmWidget({ title: `Token ${token.tokenName}: usage vs ceiling`, alarm: usageCeiling, width: 6, height: 6 }),
    new cloudwatch.AlarmWidget({ title: `Token ${token.tokenName}: usage vs expected band`, alarm: usageAnomaly, width: 6, height: 6 }),
    graph(`Token ${token.tokenName}: usage by processor`, [searchExpression(TokenMetricFactory.of(token).usageByProcessor())], { width: 6 }),
    new cloudwatch.AlarmStatusWidget({ title: `Token ${token.tokenName} alarms`, alarms: [usageCeiling, usageAnomaly, rotationErrors], width: 6, height: 6 }),
  );
}
