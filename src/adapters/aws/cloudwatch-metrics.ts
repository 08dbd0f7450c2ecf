import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Logger, MetricPoint, Metrics } from '../../curator/ports.js';
import { metricCatalog, type DimensionName, type Namespace } from '../../metrics/catalog.js';
import type { Environment } from '../../pipelines/index.js';
import { errorFields } from '../../errors/error-fields.js';

/** PutMetricData accepts up to 1,000 data per request, and up to 150 distinct values in one datum. */
const dataPerRequest = 1_000;
const valuesPerDatum = 150;

interface Series {
  readonly namespace: Namespace;
  readonly name: string;
  readonly unit: MetricPoint['unit'];
  readonly dimensions: ReadonlyArray<{ Name: DimensionName; Value: string }>;
  sum: number;
  readonly values: Map<number, number>;
}

/** What the CloudWatch adapter has published, for the report and tests. */
export interface CloudWatchMetrics extends Metrics {
  readonly requests: number;
}

/**
 * Metrics aggregated in memory during an invocation and published at its end in as few PutMetricData calls as
 * the API allows: counts summed per dimension set, durations and per-run rates kept as Values/Counts so that
 * averages and percentiles survive. Each point is published under every dimension set of the metric catalog. A
 * failed publish is logged and dropped: it never fails the job, whose records are already in the database.
 *
 * @example
 * const metrics = cloudWatchMetrics({ client: new CloudWatchClient({}), environment: 'production', logger });
 */
export function cloudWatchMetrics(options: { client: CloudWatchClient; environment: Environment; logger: Logger }): CloudWatchMetrics {
  const series = new Map<string, Series>();
  let requests = 0;

  const dimensionValue = (point: MetricPoint, name: DimensionName): string | undefined => {
    if (name === 'PipelineType') return point.pipelineType;
    if (name === 'VetoReason') return point.vetoReason;
    if (name === 'EmailType') return point.emailType;
    if (name === 'Source') return point.source;
    if (name === 'Function') return point.storeFunction;
    return options.environment;
  };

  return {
    get requests() {
      return requests;
    },
    record(point) {
      const definition = metricCatalog[point.name];
      for (const set of definition.dimensionSets) {
        const dimensions = set.map((name) => ({ Name: name, Value: dimensionValue(point, name) }));
        if (dimensions.some((dimension) => dimension.Value === undefined)) continue;
        const resolved = dimensions as Array<{ Name: DimensionName; Value: string }>;
        const key = JSON.stringify([definition.namespace, point.name, point.unit, resolved]);
        let entry = series.get(key);
        if (entry === undefined) {
          entry = { namespace: definition.namespace, name: point.name, unit: point.unit, dimensions: resolved, sum: 0, values: new Map() };
          series.set(key, entry);
        }
        if (definition.aggregate === 'sum') entry.sum += point.value;
        else entry.values.set(point.value, (entry.values.get(point.value) ?? 0) + 1);
      }
    },
    async flush() {
      if (series.size === 0) return;
      const byNamespace = new Map<Namespace, MetricDatum[]>();
      for (const entry of series.values()) {
        const data = byNamespace.get(entry.namespace) ?? [];
        const base = { MetricName: entry.name, Dimensions: [...entry.dimensions], Unit: entry.unit };
        if (entry.values.size === 0) data.push({ ...base, Value: entry.sum });
        const distinct = [...entry.values.entries()];
        for (let start = 0; start < distinct.length; start += valuesPerDatum) {
          const chunk = distinct.slice(start, start + valuesPerDatum);
          data.push({ ...base, Values: chunk.map(([value]) => value), Counts: chunk.map(([, count]) => count) });
        }
        byNamespace.set(entry.namespace, data);
      }
      series.clear();
      for (const [namespace, data] of byNamespace) {
        for (let start = 0; start < data.length; start += dataPerRequest) {
          const batch = data.slice(start, start + dataPerRequest);
          try {
            requests += 1;
            await options.client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch }));
          } catch (error) {
            options.logger.error('metrics publish failed; these data are dropped', {
              namespace,
              data: batch.length,
              ...errorFields(error),
            });
          }
        }
      }
    },
  };
}
