import type { MetricPoint, Metrics } from '../../curator/ports.js';

/** Metrics kept in memory and summed by name and dimensions, shown in the local report. */
export interface MemoryMetrics extends Metrics {
  readonly points: MetricPoint[];
  /** Sum of a metric, optionally for one pipeline, veto reason or email type. */
  total(name: MetricPoint['name'], filter?: { pipelineType?: string; vetoReason?: string; emailType?: string }): number;
}

export function memoryMetrics(): MemoryMetrics {
  const points: MetricPoint[] = [];
  return {
    points,
    record: (point) => {
      points.push(point);
    },
    flush: async () => undefined,
    total: (name, filter = {}) =>
      points
        .filter(
          (point) =>
            point.name === name &&
            (filter.pipelineType === undefined || point.pipelineType === filter.pipelineType) &&
            (filter.vetoReason === undefined || point.vetoReason === filter.vetoReason) &&
            (filter.emailType === undefined || point.emailType === filter.emailType),
        )
        .reduce((sum, point) => sum + point.value, 0),
  };
}
