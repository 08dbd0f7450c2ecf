import type { FunctionHealth } from '../curator/ports.js';
import { formatTable } from '../format/table.js';
import { falsePositiveCeilingOf } from '../pipelines/index.js';
import type { OpsSummaryFigures } from '../store/rows.js';
import { emailTargets, hasSla, missedEmailTargets, runbookSections, slaViolationCeilingPercent } from './checklist.js';
import { falsePositiveHeader, falsePositiveRows } from './false-positives.js';

/** The curator's Lambda errors and throttles of the last 24 hours, or why the summary has none. */
export type FunctionHealthLine = { readonly kind: 'read'; readonly health: FunctionHealth } | { readonly kind: 'unavailable'; readonly why: string };

/** A kill switch as the summary reports it: off, and since when (from the last recorded flip) when known. */
export interface SwitchLine {
  readonly slug: string;
  readonly state: 'on' | 'off' | 'unknown';
  /** When the last recorded flip turned it off, and who did (ops, or the curator's breaker). */
  readonly offSince: string | null;
  readonly offBy: string | null;
}

/** What the summary renders: the figures of the day and the configuration as it stands. */
export interface OpsSummaryInput {
  readonly environment: string;
  /** The UTC day summarised, `YYYY-MM-DD`. */
  readonly summaryDate: string;
  readonly figures: OpsSummaryFigures;
  readonly switches: readonly SwitchLine[];
  /** Threshold and cap overrides in force, `{slug}/{name} = value`. */
  readonly overridesInForce: readonly string[];
  /** Overrides the curator ignores (malformed, or for a check the pipeline lacks). */
  readonly ignoredOverrides: readonly string[];
  /** Whether the switches could be read. */
  readonly switchesReadable: boolean;
  /** The Morning Checklist's step 3. */
  readonly functionHealth: FunctionHealthLine;
  readonly now: Date;
}

/** One rendered section: a title and its table (header first), or a sentence when there is nothing to tabulate. */
export interface Section {
  readonly title: string;
  readonly header?: readonly string[];
  readonly rows?: ReadonlyArray<readonly string[]>;
  readonly note?: string;
}

export interface RenderedSummary {
  readonly subject: string;
  readonly sections: readonly Section[];
  readonly text: string;
  readonly html: string;
  /** The attention lines at the top: failures, misses, stuck runs, trips, drift. */
  readonly attention: readonly string[];
}

const dayMs = 86_400_000;
const percent = (value: number | null) => (value === null ? 'n/a' : `${value} %`);
const usd = (value: number) => `$${value.toFixed(2)}`;
const seconds = (ms: number | null) => (ms === null ? '' : ms < 60_000 ? `${(ms / 1_000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`);
const time = (iso: string) => iso.slice(0, 16).replace('T', ' ');

/** What needs a human today, first: the same facts the tables below hold, one line each with the runbook section to open. */
function attentionOf(input: OpsSummaryInput): string[] {
  const { figures } = input;
  const lines: string[] = [];
  const need = (text: string, section: keyof typeof runbookSections) => lines.push(`${text} → ${runbookSections[section]}`);
  const flaggedRuns = new Set<string>();
  const badRun = (run: { job_type: string; period_key: string; status: string | null; error: string | null }) => {
    const key = `${run.job_type} ${run.period_key}`;
    if (flaggedRuns.has(key) || (run.status !== 'failed' && run.status !== 'stuck')) return;
    flaggedRuns.add(key);
    need(`${key} ${run.status.toUpperCase()}${run.error ? `: ${run.error}` : ''}`, 'failedRun');
  };
  for (const run of figures.overnight) {
    if (run.status === null) need(`${run.job_type} ${run.period_key} has not started (an overnight job of the Morning Checklist)`, 'missedRun');
    else badRun(run);
  }
  for (const run of figures.runs) badRun(run);
  for (const missed of figures.missed) need(`${missed.job_type} ${missed.period_key} never started (MissedRuns)`, 'missedRun');
  for (const run of figures.runs.filter((entry) => entry.job_type === 'org_health_report' && entry.status === 'succeeded' && entry.executed === 0 && entry.candidates > 0)) {
    need(`org_health_report ${run.period_key} sent no report to its ${run.candidates} admins`, 'orgReports');
  }
  if (input.functionHealth.kind === 'read') {
    const { health } = input.functionHealth;
    if (health.errors > 0) need(`${health.functionName}: ${health.errors} Lambda error(s) in 24 h (of ${health.invocations} invocations)`, 'lambda');
    if (health.throttles > 0) need(`${health.functionName}: ${health.throttles} throttle(s) in 24 h`, 'throttles');
  }
  for (const row of figures.email) {
    for (const missed of missedEmailTargets(row)) need(`${row.email_type}: ${missed}`, missed.includes('spam') ? 'spam' : 'email');
  }
  for (const trip of figures.breaker_trips) need(`complaint breaker turned off ${trip.pipeline_type} at ${time(trip.occurred_at)} UTC`, 'breaker');
  if (figures.crisis_escalations > 0) need(`${figures.crisis_escalations} crisis alert(s) escalated to a human`, 'escalation');
  if (figures.credits_failed.count > 0) need(`${figures.credits_failed.count} credit movement(s) failed (${usd(figures.credits_failed.total_usd)})`, 'credits');
  for (const line of input.switches.filter((entry) => entry.state === 'off')) {
    const long = line.offSince !== null && input.now.getTime() - Date.parse(line.offSince) > dayMs;
    need(`${line.slug} is OFF${line.offSince ? ` since ${time(line.offSince)} UTC (${line.offBy})` : ''}${long ? ': more than a day (config drift)' : ''}`, 'switchOff');
  }
  if (!input.switchesReadable) need('the kill switches could not be read: email and credit pipelines veto', 'switchOff');
  for (const ignored of input.ignoredOverrides) need(`ignored override: ${ignored}`, 'ignored');
  for (const rate of figures.weekly?.sla ?? []) {
    if (hasSla(rate.pipeline_type) && rate.sla_violation_rate !== null && rate.sla_violation_rate > slaViolationCeilingPercent) {
      need(`${rate.pipeline_type} SLA violation rate ${rate.sla_violation_rate} % over 7 days is above ${slaViolationCeilingPercent} %`, 'sla');
    }
  }
  for (const rate of figures.false_positives) {
    const ceiling = falsePositiveCeilingOf(rate.pipeline_type);
    if (rate.rate_percent !== null && ceiling !== null && rate.rate_percent > ceiling) {
      need(`${rate.pipeline_type} false-positive rate ${rate.rate_percent} % is above ${ceiling} %: escalate to engineering`, 'falsePositives');
    }
  }
  return lines;
}

const count = (value: number | null) => (value === null ? '' : String(value));

/** The sections of the summary, then of the monthly report when the figures carry it. */
function sectionsOf(input: OpsSummaryInput): Section[] {
  const { figures } = input;
  const sections: Section[] = [
    {
      title: 'Runs',
      header: ['job', 'period', 'trigger', 'status', 'candidates', 'executed', 'skipped', 'vetoed', 'failed', 'duration'],
      rows: figures.runs.map((run) => [
        run.job_type,
        run.period_key,
        run.replays > 0 ? `${run.trigger}, REPLAYED ${run.replays}x` : run.trigger,
        run.status,
        String(run.candidates),
        String(run.executed),
        String(run.skipped),
        String(run.vetoed),
        String(run.failed),
        seconds(run.duration_ms),
      ]),
      note:
        (figures.missed.length === 0 ? 'Every scheduled firing of the day started.' : `Never started: ${figures.missed.map((missed) => `${missed.job_type} ${missed.period_key}`).join(', ')}.`) +
        (figures.runs.some((run) => run.replays > 0) ? ' The counts are what each firing did; a replay of its period counts apart (Replays).' : ''),
    },
    ...(figures.replays.length === 0
      ? []
      : [
          {
            title: 'Replays',
            header: ['job', 'period', 'started (UTC)', 'event', 'status', 'candidates', 'executed', 'vetoed', 'failed'],
            rows: figures.replays.map((replay) => [
              replay.job_type,
              replay.period_key,
              time(replay.started_at),
              replay.event_id ?? '',
              replay.status,
              String(replay.candidates),
              String(replay.executed),
              String(replay.vetoed),
              String(replay.failed),
            ]),
            note: 'Ops replays of a period, beside its firing: `npm run ops -- run <job>:<period>` shows both.',
          },
        ]),
    {
      title: 'Overnight jobs (Morning Checklist)',
      header: ['job', 'period', 'status', 'started (UTC)', 'decided', 'executed', 'vetoed', 'failed', 'replayed'],
      rows: figures.overnight.map((run) => [
        run.job_type,
        run.period_key,
        run.status ?? 'NOT STARTED',
        run.started_at === null ? '' : time(run.started_at),
        count(run.candidates),
        count(run.executed),
        count(run.vetoed),
        count(run.failed),
        run.replays > 0 ? `${run.replays}x` : '',
      ]),
    },
    {
      title: 'The curator in Lambda, last 24 h',
      header: ['function', 'invocations', 'errors', 'throttles'],
      rows:
        input.functionHealth.kind === 'read'
          ? [[input.functionHealth.health.functionName, String(input.functionHealth.health.invocations), String(input.functionHealth.health.errors), String(input.functionHealth.health.throttles)]]
          : [],
      note: input.functionHealth.kind === 'read' ? 'Errors and throttles should be 0 (the Morning Checklist).' : `Not read: ${input.functionHealth.why}.`,
    },
    {
      title: 'Executions by pipeline',
      header: ['pipeline', 'status', 'count'],
      rows: figures.executions.map((row) => [row.pipeline_type, row.status, String(row.count)]),
    },
    {
      title: 'Email by type (sent that day; opens keep arriving)',
      header: ['type', 'sent', 'delivered', 'opened', 'clicked', 'unsubscribed', 'bounced', 'spam', 'open rate', 'click rate', 'unsubscribe rate', 'bounce rate', 'targets'],
      rows: figures.email.map((row) => {
        const missed = missedEmailTargets(row);
        const targets = missed.length > 0 ? `MISSED: ${missed.join('; ')}` : row.delivered < emailTargets.minimumDelivered ? `fewer than ${emailTargets.minimumDelivered} delivered` : 'met';
        return [row.email_type, String(row.sent), String(row.delivered), String(row.opened), String(row.clicked), String(row.unsubscribed), String(row.bounced), String(row.spam_reported), percent(row.open_rate), percent(row.click_rate), percent(row.unsubscribe_rate), percent(row.bounce_rate), targets];
      }),
      note: `The guide's targets: open rate above ${emailTargets.openRateAbovePercent} %, unsubscribe below ${emailTargets.unsubscribeRateBelowPercent} %, bounce below ${emailTargets.bounceRateBelowPercent} % (each once a type had ${emailTargets.minimumDelivered} deliveries), no spam complaint. No target for clicks.`,
    },
    {
      title: 'Credits',
      header: ['what', 'count', 'USD'],
      rows: [
        ...figures.credits_issued.map((row) => [`issued (${row.source})`, String(row.credits), usd(row.total_usd)]),
        ['expired (reversed)', String(figures.credits_expired.count), usd(figures.credits_expired.total_usd)],
        ['failed', String(figures.credits_failed.count), usd(figures.credits_failed.total_usd)],
      ],
    },
    {
      title: 'Crisis escalations and SLA violations',
      header: ['what', 'count'],
      rows: [
        ['crisis alerts escalated', String(figures.crisis_escalations)],
        ...figures.vetoes.filter((row) => row.veto_reason === 'SLA_MISSED').map((row) => [`SLA_MISSED ${row.pipeline_type}`, String(row.count)]),
      ],
    },
    {
      title: 'Veto reasons',
      header: ['pipeline', 'reason', 'count'],
      rows: figures.vetoes.map((row) => [row.pipeline_type, row.veto_reason, String(row.count)]),
    },
    {
      title: 'Complaint breaker trips',
      header: ['pipeline', 'at (UTC)', 'why'],
      rows: figures.breaker_trips.map((trip) => [trip.pipeline_type, time(trip.occurred_at), trip.reason]),
    },
    {
      title: 'Kill switches off and overrides in force',
      header: ['switch or parameter', 'state'],
      rows: [
        ...input.switches.filter((line) => line.state !== 'on').map((line) => [line.slug, `${line.state.toUpperCase()}${line.offSince ? ` since ${time(line.offSince)} UTC (${line.offBy})` : ''}`]),
        ...input.overridesInForce.map((line) => [line, 'override in force']),
        ...input.ignoredOverrides.map((line) => [line, 'IGNORED']),
      ],
      note: input.switchesReadable ? undefined : 'The switches could not be read.',
    },
    {
      title: 'Human overrides that day',
      header: ['at (UTC)', 'pipeline', 'type', 'actor', 'reason', 'ticket'],
      rows: figures.overrides.map((row) => [time(row.occurred_at), row.pipeline_type, row.override_type, row.actor, row.reason, row.ticket ?? '']),
    },
  ];
  const weekly = figures.weekly;
  if (weekly !== null) {
    sections.push(
      {
        title: `Weekly (7 days from ${weekly.from.slice(0, 10)}): veto patterns`,
        header: ['pipeline', 'reason', 'count'],
        rows: weekly.veto_patterns.map((row) => [row.pipeline_type, row.veto_reason, String(row.count)]),
      },
      {
        title: 'Weekly: SLA compliance',
        header: ['pipeline', 'decisions', 'SLA violations', 'rate', ''],
        rows: weekly.sla
          .filter((row) => hasSla(row.pipeline_type))
          .map((row) => [
            row.pipeline_type,
            String(row.total),
            String(row.sla_violations),
            percent(row.sla_violation_rate),
            row.sla_violation_rate !== null && row.sla_violation_rate > slaViolationCeilingPercent ? `ABOVE ${slaViolationCeilingPercent} %` : '',
          ]),
        note: `The guide: alert if the SLA violation rate is above ${slaViolationCeilingPercent} %.`,
      },
      {
        title: 'Weekly: email volume by day',
        header: ['date', 'emails sent', 'unique users'],
        rows: weekly.volume.map((row) => [row.date.slice(0, 10), String(row.emails_sent), String(row.unique_users)]),
      },
    );
  }
  const monthly = figures.monthly;
  if (monthly !== null) {
    sections.push(
      {
        title: `Monthly ops health report (30 days from ${monthly.from.slice(0, 10)}): email by type`,
        header: ['type', 'sent', 'delivered', 'opened', 'unsubscribed', 'bounced', 'open rate', 'unsubscribe rate', 'bounce rate'],
        rows: monthly.email.map((row) => [row.email_type, String(row.sent), String(row.delivered), String(row.opened), String(row.unsubscribed), String(row.bounced), percent(row.open_rate), percent(row.unsubscribe_rate), percent(row.bounce_rate)]),
      },
      {
        title: 'Monthly: referral conversion',
        header: ['referrals', 'signed up', 'converted', 'rewarded', 'conversion rate'],
        rows: [[String(monthly.referrals.referrals), String(monthly.referrals.signed_up), String(monthly.referrals.converted), String(monthly.referrals.rewarded), percent(monthly.referrals.conversion_rate)]],
      },
      {
        title: 'Monthly: credit volume',
        header: ['source', 'credits', 'USD'],
        rows: monthly.credits.map((row) => [row.source, String(row.credits), usd(row.total_usd)]),
      },
      {
        title: 'Monthly: pipeline executions',
        header: ['pipeline', 'status', 'count'],
        rows: monthly.executions.map((row) => [row.pipeline_type, row.status, String(row.count)]),
      },
      {
        title: 'Monthly: human override patterns',
        header: ['pipeline', 'override', 'count'],
        rows: monthly.override_patterns.map((row) => [row.pipeline_type, row.override_type, String(row.count)]),
      },
      {
        title: 'Monthly: milestone bonus rate',
        header: ['families credited a milestone', 'active families', 'rate'],
        rows: [[String(monthly.milestone_bonus.families), String(monthly.milestone_bonus.active_families), percent(monthly.milestone_bonus.rate)]],
        note: "Organisation reports fire at 09:00 on the first Monday, with this email: tomorrow's summary shows them under Runs.",
      },
      {
        title: 'Monthly: false-positive rates (alerts sent in the 30 days)',
        header: falsePositiveHeader,
        rows: falsePositiveRows(figures.false_positives),
      },
    );
  }
  return sections;
}

const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * The morning ops summary as the curator sends it: a subject that says whether anything needs attention, the
 * attention lines, then one table per part (and the monthly report's on the first Monday), as plain text and HTML.
 * Pure: the same input renders the same email.
 */
export function renderOpsSummary(input: OpsSummaryInput): RenderedSummary {
  const attention = attentionOf(input);
  const sections = sectionsOf(input);
  const monthly = input.figures.monthly !== null;
  const subject = `Storytailor ${input.environment} ops summary ${input.summaryDate}${monthly ? ' + monthly ops health report' : ''}: ${attention.length === 0 ? 'all clear' : `${attention.length} need${attention.length === 1 ? 's' : ''} attention`}`;
  const text = [
    subject,
    '',
    ...(attention.length === 0 ? ['Nothing needs attention.'] : ['Needs attention:', ...attention.map((line) => `- ${line}`)]),
    ...sections.flatMap((section) => [
      '',
      `## ${section.title}`,
      ...(section.rows && section.rows.length > 0 && section.header ? formatTable(section.header, section.rows) : ['(none)']),
      ...(section.note ? [section.note] : []),
    ]),
    '',
    'Runbooks: runbooks/operations.md (the ops commands), runbooks/monitoring.md (alarms and dashboards).',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    `<h2>${escape(subject)}</h2>`,
    attention.length === 0 ? '<p>Nothing needs attention.</p>' : `<ul>${attention.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>`,
    ...sections.map((section) =>
      [
        `<h3>${escape(section.title)}</h3>`,
        section.rows && section.rows.length > 0 && section.header
          ? `<table border="1" cellpadding="4" cellspacing="0"><tr>${section.header.map((cell) => `<th>${escape(cell)}</th>`).join('')}</tr>${section.rows.map((row) => `<tr>${row.map((cell) => `<td>${escape(cell)}</td>`).join('')}</tr>`).join('')}</table>`
          : '<p>(none)</p>',
        section.note ? `<p>${escape(section.note)}</p>` : '',
      ].join(''),
    ),
    '</body></html>',
  ].join('\n');
  return { subject, sections, text, html, attention };
}
