/**
 * Reads the Embedded Metric Format records that hosted functions log, as CloudWatch would, and keeps
 * a running sum per metric and per metric and dimension values.
 */
export class EmfMetrics {
  private readonly sums = new Map<string, number>();

  /** Adds the metrics of one log line, if it is an EMF record; any other line is ignored. */
  public record(text: string): void {
    collectMetrics(text, this.sums);
  }

  /** Sum of a metric, optionally for given dimension values. */
  public sum(name: string, dimensions?: Readonly<Record<string, string>>): number {
    const key = dimensions ? `${name}|${dimensionKey(dimensions)}` : name;
    return this.sums.get(key) ?? 0;
  }
}

function collectMetrics(text: string, metrics: Map<string, number>): void {
  if (!text.includes('"_aws"')) return;
  let record: { _aws?: { CloudWatchMetrics?: Array<{ Metrics?: Array<{ Name: string }>; Dimensions?: string[][] }> } } & Record<string, unknown>;
  try {
    record = JSON.parse(text.trim()) as typeof record;
  } catch {
    return;
  }
  for (const directive of record._aws?.CloudWatchMetrics ?? []) {
    for (const metric of directive.Metrics ?? []) {
      const value = Number(record[metric.Name] ?? 0);
      metrics.set(metric.Name, (metrics.get(metric.Name) ?? 0) + value);
      for (const dimensions of directive.Dimensions ?? []) {
        const values: Record<string, string> = {};
        for (const dimension of dimensions) values[dimension] = String(record[dimension]);
        const key = `${metric.Name}|${dimensionKey(values)}`;
        metrics.set(key, (metrics.get(key) ?? 0) + value);
      }
    }
  }
}

function dimensionKey(dimensions: Readonly<Record<string, string>>): string {
  return Object.keys(dimensions).sort().map((key) => `${key}=${dimensions[key]}`).join(',');
}
