import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { FunctionHealth, FunctionMetrics } from '../../curator/ports.js';

const reads = { invocations: 'Invocations', errors: 'Errors', throttles: 'Throttles' } as const;

/**
 * A function's invocations, errors and throttles over a window, summed by CloudWatch in one GetMetricData call (the
 * window as one period, rounded up to whole minutes, as CloudWatch takes them).
 *
 * @example
 * const health = await lambdaFunctionMetrics(cloudwatch, 'storytailor-intelligence-curator-production').read(from, until);
 */
export function lambdaFunctionMetrics(client: CloudWatchClient, functionName: string): FunctionMetrics {
  return {
    async read(from, until) {
      const period = Math.max(60, Math.ceil((until.getTime() - from.getTime()) / 60_000) * 60);
      const answer = await client.send(
        new GetMetricDataCommand({
          StartTime: from,
          EndTime: until,
          MetricDataQueries: Object.entries(reads).map(([id, metricName]) => ({
            Id: id,
            MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: [{ Name: 'FunctionName', Value: functionName }] }, Period: period, Stat: 'Sum' },
          })),
        }),
      );
      const sum = (id: string) => (answer.MetricDataResults ?? []).filter((result) => result.Id === id).flatMap((result) => result.Values ?? []).reduce((total, value) => total + value, 0);
      const health: FunctionHealth = { functionName, invocations: sum('invocations'), errors: sum('errors'), throttles: sum('throttles') };
      return health;
    },
    async lastTrouble(from, until) {
      const answer = await client.send(
        new GetMetricDataCommand({
          StartTime: from,
          EndTime: until,
          MetricDataQueries: (['Errors', 'Throttles'] as const).map((metricName) => ({
            Id: metricName.toLowerCase(),
            MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: [{ Name: 'FunctionName', Value: functionName }] }, Period: 300, Stat: 'Sum' },
          })),
        }),
      );
      let last: number | null = null;
      for (const result of answer.MetricDataResults ?? []) {
        (result.Timestamps ?? []).forEach((timestamp, index) => {
          // A period is named by its start; the trouble lasts to its end.
          if ((result.Values?.[index] ?? 0) > 0) last = Math.max(last ?? 0, timestamp.getTime() + 300_000);
        });
      }
      return last === null ? null : new Date(last);
    },
  };
}
