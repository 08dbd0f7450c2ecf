import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { anchorOf, renderAlarmTable, sectionOf, tableEnd, tableStart } from '../../src/metrics/alarm-table.js';
import { alarms, severities, topicOf, rateExpression, readsOf, type AlarmDefinition, type CustomAlarmMetric, type RateAlarm } from '../../src/metrics/alarms.js';
import { metricCatalog } from '../../src/metrics/catalog.js';
import { guideLines, unalarmedLines } from '../../src/metrics/guide-alerts.js';
import { evaluate, type Datum } from '../support/metric-math.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('the alarm catalog', () => {
  const customReads = alarms.flatMap((alarm) =>
    readsOf(alarm)
      .map((reading) => reading.metric)
      .filter((metric): metric is CustomAlarmMetric => metric.namespace.startsWith('Storytailor/'))
      .map((metric) => [`${alarm.name}: ${metric.name}`, metric] as const),
  );

  it.each(customReads)('%s is a series the code publishes', (_, metric) => {
    const definition = metricCatalog[metric.name];
    expect(definition.namespace).toBe(metric.namespace);
    const names = Object.keys(metric.dimensions).sort();
    expect(definition.dimensionSets.map((set) => [...set].sort())).toContainEqual(names);
  });

  it('keeps the names and thresholds the monitoring guide gives', () => {
    const byName = Object.fromEntries(alarms.map((alarm) => [alarm.name, alarm]));
    expect(byName['storytailor-email-failure-rate']).toMatchObject({ kind: 'metric', statistic: 'Sum', periodSeconds: 3600, threshold: 50, severity: 'P1' });
    expect(byName['storytailor-crisis-sla-violations']).toMatchObject({ kind: 'metric', statistic: 'Sum', periodSeconds: 3600, threshold: 3, severity: 'P1' });
    expect(byName['storytailor-curator-errors']).toMatchObject({ kind: 'metric', statistic: 'Sum', periodSeconds: 300, evaluationPeriods: 2, threshold: 10 });
    expect(byName['storytailor-high-veto-rate']).toMatchObject({ kind: 'metric', statistic: 'Average', periodSeconds: 86400, threshold: 80, severity: 'P3' });
    expect(byName['storytailor-unsubscribe-spike']).toMatchObject({ kind: 'metric', statistic: 'Sum', periodSeconds: 3600, threshold: 10, severity: 'P2' });
    for (const name of ['storytailor-email-failure-rate', 'storytailor-crisis-sla-violations', 'storytailor-curator-errors', 'storytailor-high-veto-rate', 'storytailor-unsubscribe-spike']) {
      expect(byName[name]).toMatchObject({ comparison: 'greater', evaluationPeriods: name === 'storytailor-curator-errors' ? 2 : 1 });
    }
    expect(byName['storytailor-unsubscribe-spike']!.kind === 'metric' && byName['storytailor-unsubscribe-spike']!.metric).toEqual({
      namespace: 'Storytailor/Email',
      name: 'Unsubscribes',
      dimensions: {},
    });
  });

  it('reads each rate of the guides in percent, as the guides write it', () => {
    const rate = (name: string) => {
      const alarm = alarms.find((candidate) => candidate.name === name);
      return alarm?.kind === 'rate' ? { comparison: alarm.comparison, threshold: alarm.threshold } : undefined;
    };
    expect(rate('storytailor-unsubscribe-rate')).toEqual({ comparison: 'greater', threshold: 0.3 });
    expect(rate('storytailor-email-failure-percent')).toEqual({ comparison: 'greater', threshold: 5 });
    expect(rate('storytailor-email-failure-percent-p1')).toEqual({ comparison: 'greater', threshold: 10 });
    expect(rate('storytailor-bounce-rate')).toEqual({ comparison: 'greater', threshold: 5 });
    expect(rate('storytailor-open-rate-daily-digest')).toEqual({ comparison: 'less', threshold: 30 });
    expect(rate('storytailor-weekly-insights-veto-rate-low')).toEqual({ comparison: 'less', threshold: 10 });
    expect(rate('storytailor-weekly-insights-veto-rate-high')).toEqual({ comparison: 'greater', threshold: 90 });
    expect(rate('storytailor-sla-violation-rate')).toEqual({ comparison: 'greater', threshold: 5 });
    expect(rate('storytailor-curator-error-rate')).toEqual({ comparison: 'greater', threshold: 1 });
  });

  it('has no two alarms with one name', () => {
    expect(new Set(alarms.map((alarm) => alarm.name)).size).toBe(alarms.length);
  });

  it('gives every alarm a severity, and the guides\' P1, P2 and P3 lines the severity they name', () => {
    for (const alarm of alarms) {
      expect(severities, alarm.name).toContain(alarm.severity);
      for (const line of alarm.answers) {
        const named = / · (P[123]) · /.exec(line)?.[1];
        // An alarm answering a P2 line and the operations guide's Critical line pages at once: the stricter wins.
        if (named !== undefined && !alarm.answers.some((other) => other.startsWith('operations · Critical'))) expect(alarm.severity, `${alarm.name}: ${line}`).toBe(named);
      }
    }
    expect(topicOf('P1')).toBe('critical');
    expect(topicOf('P2')).toBe('business-hours');
    expect(topicOf('P3')).toBe('warning');
  });
});

/**
 * Each rate's expression, evaluated as CloudWatch would on sample counts, against the rate worked out from the same
 * counts here: a percent compared with a fraction, a missing FILL or a minimum on the wrong side fails.
 */
describe('the rate expressions', () => {
  const rates = alarms.filter((alarm): alarm is RateAlarm => alarm.kind === 'rate');

  /** Sample data: `hits` in the numerator out of `total` in the denominator; the other denominator terms missing. */
  function sample(alarm: RateAlarm, hits: Datum, total: number): Record<string, Datum> {
    const [numeratorId] = Object.keys(alarm.rate.numerator);
    const denominatorIds = Object.keys(alarm.rate.denominator);
    const values: Record<string, Datum> = Object.fromEntries(denominatorIds.map((id) => [id, null]));
    values[numeratorId!] = hits;
    const rest = denominatorIds.find((id) => id !== numeratorId)!;
    values[rest] = denominatorIds.includes(numeratorId!) ? total - (hits ?? 0) : total;
    return values;
  }

  const breaches = (alarm: AlarmDefinition, value: Datum) =>
    value !== null && typeof alarm.threshold === 'number' && (alarm.comparison === 'greater' ? value > alarm.threshold : value < alarm.threshold);

  it('are all single-numerator rates the samples can drive', () => {
    expect(rates.length).toBeGreaterThanOrEqual(14);
    for (const alarm of rates) expect(Object.keys(alarm.rate.numerator), alarm.name).toHaveLength(1);
  });

  it.each(rates.map((alarm) => [alarm.name, alarm] as const))('%s fires exactly when the rate of the counts crosses its threshold', (_, alarm) => {
    const expression = rateExpression(alarm);
    const threshold = alarm.threshold as number;
    let fired = 0;
    let quiet = 0;
    for (const total of [alarm.rate.minimum - 1, alarm.rate.minimum, alarm.rate.minimum * 10, 100_000]) {
      for (const percent of [0, threshold / 2, threshold * 0.9, threshold * 1.1, threshold * 2, 50, 100]) {
        const hits = Math.min(total, Math.round((total * percent) / 100));
        const actualPercent = (100 * hits) / total;
        const expected = total >= alarm.rate.minimum && (alarm.comparison === 'greater' ? actualPercent > threshold : actualPercent < threshold);
        const value = evaluate(expression, sample(alarm, hits, total));
        expect(breaches(alarm, value), `${hits} of ${total} (${actualPercent.toFixed(3)} %) gives ${value}`).toBe(expected);
        if (expected) fired += 1;
        else quiet += 1;
      }
    }
    expect(fired).toBeGreaterThan(0);
    expect(quiet).toBeGreaterThan(0);
  });

  it.each(rates.map((alarm) => [alarm.name, alarm] as const))('%s counts a numerator with no data as 0, and stays quiet with no data at all', (_, alarm) => {
    const expression = rateExpression(alarm);
    const noHits = evaluate(expression, sample(alarm, null, alarm.rate.minimum * 10));
    expect(noHits).toBe(0);
    expect(breaches(alarm, noHits)).toBe(alarm.comparison === 'less');
    const silent = Object.fromEntries([...Object.keys(alarm.rate.numerator), ...Object.keys(alarm.rate.denominator)].map((id) => [id, null]));
    expect(breaches(alarm, evaluate(expression, silent))).toBe(false);
  });
});

/** The alert lines of the guides, read from them: bullets of the sections the guide's alerts live in. */
function alertLinesOfTheGuides(): string[] {
  const lines: string[] = [];
  const monitoring = read('docs/guides/monitoring-guide.md').split('\n');
  let section = '';
  let subsection = '';
  let inAlerts = false;
  const keyMetricArea: Record<string, string> = { '2': 'Email alerts', '3': 'SLA alerts', '5': 'Lambda alerts' };
  for (const line of monitoring) {
    if (line.startsWith('## ')) [section, subsection, inAlerts] = [line.slice(3).trim(), '', false];
    else if (line.startsWith('### ')) [subsection, inAlerts] = [line.slice(4).trim(), false];
    else if (line.startsWith('**Alerts**')) inAlerts = true;
    const bullet = /^- (.+)$/.exec(line)?.[1]?.trim();
    const alarmName = /--alarm-name (\S+)/.exec(line)?.[1];
    if (section === 'Key Metrics to Monitor' && inAlerts && bullet) lines.push(`monitoring · ${keyMetricArea[subsection.split('.')[0]!]} · ${bullet}`);
    if (section === 'CloudWatch Alarms' && alarmName) lines.push(`monitoring · put-metric-alarm · ${alarmName}`);
    if (section === 'Performance Baselines' && bullet) lines.push(`monitoring · Baseline · ${bullet}`);
    if (section === 'On-Call Playbook' && bullet && !bullet.startsWith('**')) lines.push(`monitoring · ${subsection.split(':')[0]} · ${bullet}`);
  }
  section = '';
  for (const line of read('docs/guides/operations-guide.md').split('\n')) {
    if (line.startsWith('## ')) [section, subsection] = [line.slice(3).trim(), ''];
    else if (line.startsWith('### ')) subsection = line.slice(4).trim();
    const bullet = /^- (.+)$/.exec(line)?.[1]?.trim();
    const alertIf = /\*\*Alert if\*\*: (.+)$/.exec(line)?.[1]?.trim();
    if (section === 'Alerts & Notifications' && bullet) lines.push(`operations · ${subsection.split(' ')[0]} · ${bullet}`);
    if (alertIf) lines.push(`operations · ${subsection.replace(/ \(.*\)$/, '')} · ${alertIf}`);
  }
  return lines;
}

describe('the guide lines', () => {
  it('are every alert line of the two guides, as written', () => {
    const found = alertLinesOfTheGuides();
    expect(found.length).toBeGreaterThanOrEqual(50);
    expect([...new Set(found)].sort()).toEqual([...guideLines].sort());
  });

  it.each(guideLines.map((line) => [line] as const))('%s is answered by an alarm or says why not', (line) => {
    const answering = alarms.filter((alarm) => alarm.answers.includes(line));
    const reason = unalarmedLines[line];
    expect(answering.length > 0 || (reason !== undefined && reason.length > 20), line).toBe(true);
    expect(answering.length > 0 && reason !== undefined, `${line} has both an alarm and a reason`).toBe(false);
  });
});

describe('runbooks/monitoring.md', () => {
  const runbook = read('runbooks/monitoring.md');

  it('holds the alarm table the catalog makes (npm run alarms)', () => {
    const start = runbook.indexOf(tableStart);
    const end = runbook.indexOf(tableEnd) + tableEnd.length;
    expect(start).toBeGreaterThan(0);
    expect(runbook.slice(start, end)).toBe(renderAlarmTable());
  });

  it('has the section every alarm links to, and each alarm description repeats its row\'s action', () => {
    const anchors = new Set(runbook.split('\n').filter((line) => line.startsWith('### ')).map((line) => anchorOf(line.slice(4).trim())));
    for (const alarm of alarms) {
      expect(anchors, `${alarm.name} links to ${sectionOf(alarm)}`).toContain(anchorOf(sectionOf(alarm)));
      expect(runbook).toContain(`| ${alarm.action.replaceAll('|', '\\|')} |`);
    }
  });
});
