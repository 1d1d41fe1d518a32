import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { DIMENSIONS, METRIC_NAMESPACE, METRICS } from '../../lambda/shared/contract';
import type { IScopedToken } from '../scoped-token';

/*
 * The metric factories: one per thing measured (an endpoint, a processor, a scoped token), each the
 * one place that knows its metrics' namespace, dimensions and default aggregation. The constructs'
 * public `metric*()` methods, the alarms and the dashboard all ask them, so a metric is described the
 * same wherever it is used, and the same as the runtime records it (names from lambda/shared/contract).
 */

/** What the runtime records are counts: summed, per 5 minutes, unless the caller asks otherwise. */
const COUNT = { statistic: 'Sum', period: Duration.minutes(5) } as const;
/** A queue's depth and age are levels: the highest in each minute. */
const LEVEL = { statistic: 'Maximum', period: Duration.minutes(1) } as const;
/** The rotation function runs a few times a day: its failures are counted per hour. */
const HOURLY_COUNT = { statistic: 'Sum', period: Duration.hours(1) } as const;

/** A count the runtime records in the library's namespace, with the given dimensions. */
function countMetric(metricName: string, dimensionsMap: Record<string, string>, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName, dimensionsMap, ...COUNT, ...props });
}

/**
 * A CloudWatch SEARCH expression: every metric named `metricName` in the library's namespace whose
 * dimensions are exactly `dimensionSet`, narrowed to the given dimension values, each counted as
 * {@link COUNT} does — one series per value of the dimensions left open.
 */
function countSearch(dimensionSet: readonly string[], metricName: string, filter: Readonly<Record<string, string>>): string {
  const terms = Object.entries(filter).map(([dimension, value]) => `${dimension}="${value}"`).join(' ');
  return `SEARCH('{${[METRIC_NAMESPACE, ...dimensionSet].join(',')}} MetricName="${metricName}" ${terms}', '${COUNT.statistic}', ${COUNT.period.toSeconds()})`;
}

/** The metrics of one endpoint: what its verifier records (dimension `Endpoint`), its function and its API. */
export class EndpointMetricFactory {
  /** @param endpointName the endpoint's construct path, its metrics' `Endpoint` dimension */
  public constructor(private readonly endpointName: string) {}

  /** One of the verifier's counts (`METRICS`). */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return countMetric(metricName, { [DIMENSIONS.ENDPOINT]: this.endpointName }, props);
  }

  /** Requests refused for one reason (one of the verifier's error codes). */
  public metricRejected(reason: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.REJECTED, { ...props, dimensionsMap: { [DIMENSIONS.ENDPOINT]: this.endpointName, [DIMENSIONS.REASON]: reason } });
  }

  /** One series of refused requests per reason: the dashboard graphs it, `SUM(…)` of it counts them all. */
  public rejectedByReason(): string {
    return countSearch([DIMENSIONS.ENDPOINT, DIMENSIONS.REASON], METRICS.REJECTED, { [DIMENSIONS.ENDPOINT]: this.endpointName });
  }

  /** Invocations of the verifier that crashed or timed out. */
  public metricFunctionErrors(verifier: lambda.IFunction, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return verifier.metricErrors({ ...COUNT, ...props });
  }

  /** 5XX responses of the API, whatever their origin. */
  public metricApiServerErrors(api: apigw.RestApi, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return api.metricServerError({ ...COUNT, ...props });
  }
}

/** The metrics of one processor: what its runtime records (dimensions `Endpoint`, `Processor`), its queues and its function. */
export class ProcessorMetricFactory {
  /**
   * @param endpointName the endpoint's construct path (processor names are unique per endpoint only)
   * @param processorName the processor's name
   */
  public constructor(private readonly endpointName: string, private readonly processorName: string) {}

  /** One of the runtime's counts (`METRICS`). */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return countMetric(metricName, { [DIMENSIONS.ENDPOINT]: this.endpointName, [DIMENSIONS.PROCESSOR]: this.processorName }, props);
  }

  /** Uses of a scoped token by this processor: the token's usage with this processor's dimensions. */
  public metricTokenUsage(token: IScopedToken, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return TokenMetricFactory.of(token).metricUsageBy(this.endpointName, this.processorName, props);
  }

  /** Messages in the dead-letter queue. */
  public metricDeadLetterMessages(deadLetterQueue: sqs.IQueue, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...LEVEL, ...props });
  }

  /** Age of the oldest message waiting in the queue. */
  public metricOldestMessageAge(queue: sqs.IQueue, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return queue.metricApproximateAgeOfOldestMessage({ ...LEVEL, ...props });
  }

  /** Invocations of the processor function that crashed or timed out. */
  public metricFunctionErrors(handler: lambda.IFunction, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handler.metricErrors({ ...COUNT, ...props });
  }

  /** Throttled invocations of the processor function. */
  public metricFunctionThrottles(handler: lambda.IFunction, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handler.metricThrottles({ ...COUNT, ...props });
  }
}

/** The metrics of one scoped token: its uses as the runtime records them (dimension `Token`), and its rotation. */
export class TokenMetricFactory {
  /** The factory of any `IScopedToken`, identified by the `Token` dimension of its usage metric. */
  public static of(token: IScopedToken): TokenMetricFactory {
    return new TokenMetricFactory(String(token.metricUsage().dimensions?.[DIMENSIONS.TOKEN]));
  }

  /** @param tokenDimension the token's secret name: unique per account and Region, unlike its `tokenName` */
  public constructor(private readonly tokenDimension: string) {}

  /** Uses of the token (`tokens.get` calls), all processors together. */
  public metricUsage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return countMetric(METRICS.TOKEN_USAGE, { [DIMENSIONS.TOKEN]: this.tokenDimension }, props);
  }

  /** Uses of the token by one processor of one endpoint. */
  public metricUsageBy(endpointName: string, processorName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricUsage({
      ...props,
      dimensionsMap: { [DIMENSIONS.TOKEN]: this.tokenDimension, [DIMENSIONS.ENDPOINT]: endpointName, [DIMENSIONS.PROCESSOR]: processorName },
    });
  }

  /** One series of the token's uses per processor (of any endpoint). */
  public usageByProcessor(): string {
    return countSearch([DIMENSIONS.ENDPOINT, DIMENSIONS.PROCESSOR, DIMENSIONS.TOKEN], METRICS.TOKEN_USAGE, { [DIMENSIONS.TOKEN]: this.tokenDimension });
  }

  /** Failed invocations of the rotation function (steps and sweeps). */
  public metricRotationErrors(rotationFunction: lambda.IFunction, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return rotationFunction.metricErrors({ ...HOURLY_COUNT, ...props });
  }
}
