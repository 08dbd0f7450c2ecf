import { MetricName } from '../curator/ports.js';
import { overnightFirings } from './checklist.js';
import { summaryWindow } from './window.js';
import { ignoredParameters } from '../parameters/ignored-parameters.js';
import { parseSwitch } from '../curator/switches.js';
import { renderChartPng } from './charts/render-png.js';
import { trendCharts, type TrendChart } from './charts/trend-charts.js';
import { renderOpsSummary, type FunctionHealthLine, type SwitchLine } from './render.js';
import { jobTypes, killSwitchSlugs, lastFiring, opsSummary, parameterKey, pipelines, tunableNames, globalSwitchSlug, type JobType } from '../pipelines/index.js';
import { storeFunctions } from '../store/functions.js';
import type { OpsSummaryFigures } from '../store/rows.js';
import type { CuratorDeps } from '../runner/deps.js';
import type { OpsSummaryJob } from '../requests/job-request.js';
import type { OpsSummaryResult } from '../runner/job-result.js';
import { errorFields } from '../errors/error-fields.js';

const dayMs = 86_400_000;

/** The scheduled firings that fell in [from, until): what should have started that day. */
function expectedFirings(from: Date, until: Date): Array<{ job_type: JobType; period_key: string }> {
  return jobTypes.flatMap((jobType) => {
    const firing = lastFiring(jobType, new Date(until.getTime() - 1));
    return firing !== null && firing.scheduledTime.getTime() >= from.getTime() ? [{ job_type: jobType, period_key: firing.periodKey }] : [];
  });
}

const slugOfType = (pipelineType: string) =>
  pipelineType === 'all' ? globalSwitchSlug : pipelineType === opsSummary.jobType ? opsSummary.slug : (pipelines[pipelineType as JobType]?.slug ?? pipelineType);

function switchLines(parameters: ReadonlyMap<string, string> | null, flips: OpsSummaryFigures['last_flips']): SwitchLine[] {
  return killSwitchSlugs().map((slug) => {
    const state = parseSwitch(parameters?.get(parameterKey(slug, tunableNames.enabled)));
    // last_flips holds each pipeline's latest flip: it says since when a switch is off, when it was a disable.
    const flip = flips.find((entry) => slugOfType(entry.pipeline_type) === slug);
    const offRecorded = state === 'off' && flip !== undefined && flip.override_type !== 'kill_switch_enable';
    return { slug, state, offSince: offRecorded ? flip.occurred_at : null, offBy: offRecorded ? flip.actor : null };
  });
}

/**
 * The monthly report's trends as PNG images (charts/). A chart that cannot be drawn is left out and logged: the
 * report goes out with its tables regardless.
 */
async function drawTrends(deps: CuratorDeps, trends: NonNullable<OpsSummaryFigures['monthly']>['trends']): Promise<Array<{ chart: TrendChart; png: Uint8Array }>> {
  const drawn: Array<{ chart: TrendChart; png: Uint8Array }> = [];
  for (const chart of trendCharts(trends)) {
    try {
      drawn.push({ chart, png: await renderChartPng(chart.spec) });
    } catch (error) {
      deps.logger.warn('ops summary chart not drawn', { chart: chart.id, ...errorFields(error) });
    }
  }
  return drawn;
}

/** The summary's HTML with the charts shown first, each by its content id (SendGrid sends them as inline images). */
function withCharts(html: string, charts: ReadonlyArray<{ chart: TrendChart }>): string {
  if (charts.length === 0) return html;
  const figures = charts.map(({ chart }) => `<p><img src="cid:${chart.id}" alt="${chart.title}" width="660" style="max-width:100%"></p>`).join('\n');
  return html.replace(/(<h3>Monthly ops health report)/, `<h3>Monthly trends</h3>\n${figures}\n$1`);
}

/**
 * The curator's Lambda errors and throttles of the last 24 hours (the Morning Checklist's step 3), or why they are not
 * in the summary: no Lambda here (a local run), or CloudWatch could not be read (the summary goes out regardless).
 */
async function readFunctionHealth(deps: CuratorDeps, from: Date, until: Date): Promise<FunctionHealthLine> {
  if (deps.functionMetrics === undefined) return { kind: 'unavailable', why: 'not in Lambda (a local run): no AWS/Lambda metrics to read' };
  try {
    return { kind: 'read', health: await deps.functionMetrics.read(from, until) };
  } catch (error) {
    deps.logger.warn('ops summary could not read the curator\'s Lambda metrics', errorFields(error));
    return { kind: 'unavailable', why: `CloudWatch could not be read (${error instanceof Error ? error.name : 'error'})` };
  }
}

/**
 * The morning ops summary (09:00 UTC, EventBridge Scheduler): yesterday's runs, email, credits, escalations, vetoes,
 * breaker trips, switches off and overrides in force, with the monthly ops health report on the first Monday. It
 * publishes FalsePositiveRate (30 days, per alert pipeline) first, whatever its switch says, since the alarm reads
 * it daily. Then it sends through the mailer to the ops list unless `ops-summary/enabled` is false (the global `all`
 * switch does not stop it), claiming the day first so a redelivered schedule sends once. Nothing goes to
 * `email_delivery_log`.
 */
export async function runOpsSummary(deps: CuratorDeps, request: OpsSummaryJob): Promise<OpsSummaryResult> {
  const startedMs = Date.now();
  const now = deps.clock.now();
  const window = summaryWindow(request.scheduledTime ?? now);
  const answer = (status: OpsSummaryResult['status'], reason: string | null, extra: Partial<OpsSummaryResult> = {}): OpsSummaryResult => ({
    ok: true,
    kind: 'ops_summary',
    jobType: opsSummary.jobType,
    status,
    reason,
    summaryDate: window.summaryDate,
    monthly: window.monthly,
    durationMs: Date.now() - startedMs,
    subject: null,
    ...extra,
  });

  const figures = await deps.store.call(storeFunctions.opsSummary, {
    from: window.from,
    until: window.until,
    expected: expectedFirings(window.from, window.until),
    monthly: window.monthly,
    now,
    overnight: overnightFirings(request.scheduledTime ?? now),
    weekly: window.weekly,
  });
  for (const rate of figures.false_positives) {
    if (rate.rate_percent !== null) {
      deps.metrics.record({ name: MetricName.FalsePositiveRate, value: rate.rate_percent, unit: 'Percent', pipelineType: rate.pipeline_type as JobType });
    }
  }

  const snapshot = await deps.switches.read();
  const parameters = snapshot.parameters;
  if (parseSwitch(parameters?.get(parameterKey(opsSummary.slug, tunableNames.enabled))) === 'off') {
    deps.logger.info('ops summary not sent: its switch is off', { summary_date: window.summaryDate });
    return answer('skipped', `${opsSummary.slug}/enabled is false`);
  }
  const recipients = deps.config.opsSummaryRecipients ?? [];
  if (recipients.length === 0) {
    deps.logger.warn('ops summary not sent: no recipients configured (CURATOR_OPS_SUMMARY_RECIPIENTS)', { summary_date: window.summaryDate });
    return answer('skipped', 'no recipients configured');
  }

  const ignored = ignoredParameters(parameters).map((entry) => entry.problem);
  const functionHealth = await readFunctionHealth(deps, new Date(now.getTime() - dayMs), now);
  const overridesInForce = [...(parameters?.entries() ?? [])]
    .filter(([key]) => !key.endsWith(`/${tunableNames.enabled}`))
    .map(([key, value]) => `${key} = ${value}`)
    .sort();
  const rendered = renderOpsSummary({
    environment: deps.config.environment,
    summaryDate: window.summaryDate,
    figures,
    switches: switchLines(parameters, figures.last_flips),
    overridesInForce,
    ignoredOverrides: ignored,
    switchesReadable: parameters !== null,
    functionHealth,
    now,
  });

  const claim = await deps.store.call(storeFunctions.claimOpsSummary, {
    summaryDate: window.summaryDate,
    monthly: window.monthly,
    leaseSeconds: deps.config.leaseSeconds,
    now,
  });
  if (!claim.claimed) {
    deps.logger.info('ops summary already sent or being sent', { summary_date: window.summaryDate, status: claim.status });
    return answer('skipped', `the summary of ${window.summaryDate} is ${claim.status}`, { subject: rendered.subject });
  }
  const charts = figures.monthly === null ? [] : await drawTrends(deps, figures.monthly.trends);
  const outcome = await deps.mailer.sendContent({
    to: recipients,
    subject: rendered.subject,
    text: rendered.text,
    html: withCharts(rendered.html, charts),
    category: 'ops_summary',
    inlineImages: charts.map(({ chart, png }) => ({ contentId: chart.id, filename: `${chart.id}.png`, png })),
  });
  await deps.store.call(storeFunctions.finishOpsSummary, {
    summaryDate: window.summaryDate,
    status: outcome.status,
    recipients: recipients.length,
    providerMessageId: outcome.status === 'sent' ? outcome.providerMessageId : null,
    error: outcome.status === 'sent' ? null : outcome.error,
    figures: { ...figures, attention: rendered.attention },
    now: deps.clock.now(),
  });
  if (outcome.status !== 'sent') {
    deps.logger.error('ops summary not sent', { summary_date: window.summaryDate, status: outcome.status, error: outcome.error });
    // Failed: thrown so the schedule's retry claims it again. Unknown: it may have gone out, so it is left for a human.
    if (outcome.status === 'failed') throw new Error(`the ops summary of ${window.summaryDate} was refused: ${outcome.error}`);
    return answer('failed', outcome.error, { subject: rendered.subject });
  }
  deps.logger.info('ops summary sent', { summary_date: window.summaryDate, monthly: window.monthly, recipients: recipients.length, attention: rendered.attention.length });
  return answer('succeeded', null, { subject: rendered.subject });
}
