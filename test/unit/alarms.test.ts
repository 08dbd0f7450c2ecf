import { describe, expect, it } from 'vitest';
import { alarms, type CustomAlarmMetric } from '../../src/metrics/alarms.js';
import { metricCatalog } from '../../src/metrics/catalog.js';

describe('the alarm table', () => {
  const custom = alarms.filter((alarm): alarm is typeof alarm & { metric: CustomAlarmMetric } => alarm.metric.namespace.startsWith('Storytailor/'));

  it.each(custom.map((alarm) => [alarm.name, alarm] as const))('%s watches a series the code publishes', (_, alarm) => {
    const definition = metricCatalog[alarm.metric.name];
    expect(definition.namespace).toBe(alarm.metric.namespace);
    const names = Object.keys(alarm.metric.dimensions).sort();
    expect(definition.dimensionSets.map((set) => [...set].sort())).toContainEqual(names);
  });

  it('keeps the names and thresholds the monitoring guide gives', () => {
    const byName = Object.fromEntries(alarms.map((alarm) => [alarm.name, alarm]));
    expect(byName['storytailor-email-failure-rate']).toMatchObject({ statistic: 'Sum', periodSeconds: 3600, threshold: 50, topic: 'critical' });
    expect(byName['storytailor-crisis-sla-violations']).toMatchObject({ statistic: 'Sum', periodSeconds: 3600, threshold: 3, topic: 'critical' });
    expect(byName['storytailor-curator-errors']).toMatchObject({ statistic: 'Sum', periodSeconds: 300, evaluationPeriods: 2, threshold: 10 });
    expect(byName['storytailor-high-veto-rate']).toMatchObject({ statistic: 'Average', periodSeconds: 86400, threshold: 80, topic: 'warning' });
    expect(byName['storytailor-unsubscribe-spike']).toMatchObject({ statistic: 'Sum', periodSeconds: 3600, threshold: 10, topic: 'warning' });
  });

  it('has no two alarms with one name', () => {
    expect(new Set(alarms.map((alarm) => alarm.name)).size).toBe(alarms.length);
  });
});
