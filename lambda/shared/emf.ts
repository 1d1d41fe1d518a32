import { METRIC_NAMESPACE } from './contract';

/**
 * Writes one CloudWatch Embedded Metric Format record to stdout. The verifier uses this instead
 * of Powertools Metrics to keep its cold start and bundle minimal; the format is AWS's own and is
 * covered by tests that parse the emitted line.
 */
export function emitMetric(
  name: string,
  dimensions: Readonly<Record<string, string>>,
  value = 1,
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): void {
  write(JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: name, Unit: 'Count' }] }],
    },
    ...dimensions,
    [name]: value,
  }));
}
