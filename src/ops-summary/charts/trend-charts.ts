import type { OpsSummaryFigures } from '../../store/rows.js';

type Trends = NonNullable<OpsSummaryFigures['monthly']>['trends'];

/** One chart of the monthly report: its content id in the email, its file name, its title, its Vega-Lite spec. */
export interface TrendChart {
  readonly id: string;
  readonly title: string;
  readonly spec: Readonly<Record<string, unknown>>;
}

/**
 * A day's rate is drawn once it stands on this many deliveries (or decisions, for a veto rate): a handful of crisis
 * alerts makes a line that jumps from 0 to 100 and says nothing of a trend. The tables keep every figure.
 */
export const trendMinimum = { delivered: 20, decisions: 10 } as const;

/** The one font the PNG renderer embeds (Lambda has no system fonts: without it every label would vanish). */
export const chartFont = 'DejaVu Sans';

const width = 600;
const height = 220;
const day = { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: null, axis: { format: '%d %b', labelAngle: 0 } } as const;

/** The next round number at or above `value` (1, 2 or 5 times a power of ten), so the top bar is not the frame's edge. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((factor) => factor * power > value)!;
  return step * power;
}

/** The common frame of every chart: one font, a white background, a title, the data as values. */
function chart(id: string, title: string, values: readonly unknown[], body: Record<string, unknown>): TrendChart {
  return {
    id,
    title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width,
      height,
      background: 'white',
      title: { text: title, anchor: 'start' },
      data: { values },
      config: { font: chartFont, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 11 }, legend: { labelFontSize: 11, titleFontSize: 11 } },
      ...body,
    },
  };
}

/**
 * The guides' trends as the monthly report draws them, from the same SQL as its tables (curator_ops_summary's
 * `trends`): open rate by type (line), emails by day and type (stacked bar), unsubscribe rate (line), credits issued,
 * applied to invoices and expired per day (bar), veto rate by pipeline (line). Pure: specs only; `render-png.ts` draws them. A chart with
 * no data is left out.
 *
 * @example
 * trendCharts(figures.monthly.trends).map((chart) => chart.id) // ['open-rate', 'emails-by-day', …]
 */
export function trendCharts(trends: Trends): TrendChart[] {
  // A rate by email type per day, drawn only where the day had enough deliveries to say anything.
  const rateLine = (id: string, what: string, key: 'open_rate' | 'unsubscribe_rate') =>
    chart(
      id,
      `${what[0]!.toUpperCase()}${what.slice(1)} by email type (%), 30 days (days with ${trendMinimum.delivered}+ deliveries)`,
      trends.email.filter((row) => row[key] !== null && row.delivered >= trendMinimum.delivered),
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: day,
          y: { field: key, type: 'quantitative', title: `${what} (%)` },
          color: { field: 'email_type', type: 'nominal', title: 'email type' },
        },
      },
    );
  const charts = [
    rateLine('open-rate', 'open rate', 'open_rate'),
    chart('emails-by-day', 'Emails sent by day and type', trends.email, {
      mark: { type: 'bar' },
      encoding: {
        x: { ...day, type: 'ordinal' },
        y: { field: 'sent', type: 'quantitative', title: 'emails sent', stack: 'zero' },
        color: { field: 'email_type', type: 'nominal', title: 'email type' },
      },
    }),
    rateLine('unsubscribe-rate', 'unsubscribe rate', 'unsubscribe_rate'),
    chart('credits', 'Credits issued, applied to invoices and expired per day (USD)', trends.credits, {
      mark: { type: 'bar' },
      encoding: {
        x: { ...day, type: 'ordinal' },
        xOffset: { field: 'kind' },
        y: { field: 'usd', type: 'quantitative', title: 'USD', stack: null, scale: { domain: [0, niceCeiling(Math.max(0, ...trends.credits.map((row) => row.usd)))] } },
        color: { field: 'kind', type: 'nominal', title: 'credits' },
      },
    }),
    chart('veto-rate', `Veto rate by pipeline (%), 30 days (days with ${trendMinimum.decisions}+ decisions)`, trends.vetoes.filter((row) => row.decisions >= trendMinimum.decisions), {
      mark: { type: 'line', point: true },
      encoding: {
        x: day,
        y: { field: 'veto_rate', type: 'quantitative', title: 'vetoed (%)', scale: { domain: [0, 100] } },
        color: { field: 'pipeline_type', type: 'nominal', title: 'pipeline' },
      },
    }),
  ];
  return charts.filter((entry) => ((entry.spec.data as { values: unknown[] }).values.length > 0));
}
