import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE } from '../shared/contract';

/** Records counts as CloudWatch metrics. */
export interface MetricsSink {
  /**
   * Records `value` once under each dimension set (one Embedded Metric Format record, flushed at
   * once so that nothing is lost if the invocation then times out).
   */
  count(metricName: string, dimensionSets: ReadonlyArray<Readonly<Record<string, string>>>, value?: number): void;
}

/**
 * Powertools Metrics (Embedded Metric Format on stdout), without Powertools' default `service`
 * dimension: the metrics are identified by exactly the dimensions the constructs' `metric*()`
 * methods and alarms query.
 */
export class PowertoolsMetricsSink implements MetricsSink {
  public constructor(private readonly metrics: Metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'hardened-webhooks' })) {
    this.metrics.clearDefaultDimensions();
  }

  public count(metricName: string, dimensionSets: ReadonlyArray<Readonly<Record<string, string>>>, value = 1): void {
    for (const dimensions of dimensionSets) this.metrics.addDimensions({ ...dimensions });
    this.metrics.addMetric(metricName, MetricUnit.Count, value);
    this.metrics.publishStoredMetrics();
  }
}

let sharedSink: MetricsSink | undefined;

/** One sink per execution environment, created on first use. */
export function defaultMetricsSink(): MetricsSink {
  sharedSink ??= new PowertoolsMetricsSink();
  return sharedSink;
}
