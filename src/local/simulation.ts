import type { ManualClock } from '../adapters/clock.js';
import { invoiceHourUtc } from '../adapters/local/ledger-payments.js';
import { healthEvent, opsSummaryEvent, releaseEvent, replayEvent, scheduledJobEvent, signalEvent, whatIfEvent } from '../events/curator-events.js';
import type { SqlClient } from '../db/sql-client.js';
import type { CuratorResult } from '../runner/job-result.js';
import type { OpsSummaryAnswer } from '../handlers/ops-summary.js';
import { jobTypes, quietHoursRelease, scheduleOf, toAwsCron, type JobType } from '../pipelines/index.js';
import { weekdays } from '../pipelines/schedule.js';
import type { HealthResult, OpsSummaryResult, WhatIfResult } from '../runner/job-result.js';
import { addTally, emptyTally, vetoTotal, type Tally } from '../runner/tally.js';
import { simulateReading } from './seed-population.js';

/** The user the seed gives number n. */
export const familyId = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** One thing that happens in the simulated days. */
export interface SimulatedEvent {
  readonly at: Date;
  readonly label: string;
  readonly kind: 'reading' | 'schedule' | 'signal' | 'ops' | 'health' | 'webhook' | 'release';
  /** For events the handler receives. */
  readonly event?: unknown;
  /** For ops actions and reading: what to do. */
  readonly act?: () => Promise<void>;
}

/** What ops does during the simulation, through the same switches the curator reads. */
export interface SimulatedOps {
  setSwitch(key: string, value: string): void;
  /** SendGrid's event webhook reporting on the emails sent in [from, to) (deliveries, opens, unsubscribes, ...). */
  reportEmails?(from: Date, to: Date): Promise<void>;
  /** A share of the digests sent in [from, to) answered with unsubscribes and spam reports, through the webhook. */
  complaintSpike?(from: Date, to: Date, share: number, atLeast: number): Promise<void>;
  /** Stripe finalizing the invoices of the customers billed on `day`, posting invoice.finalized to its webhook. */
  finalizeInvoices?(day: Date): Promise<void>;
}

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

function firingsOn(jobType: JobType, date: Date): Date[] {
  const scheduled = scheduleOf(jobType);
  if (scheduled === null) return [];
  const { schedule } = scheduled;
  const at = new Date(date.getTime() + (schedule.hour * 60 + schedule.minute) * minute);
  if (schedule.weekday !== undefined && weekdays[date.getUTCDay()] !== schedule.weekday) return [];
  if (schedule.nthOfMonth !== undefined && Math.ceil(date.getUTCDate() / 7) !== schedule.nthOfMonth) return [];
  return [at];
}

let signalSequence = 0;
function signal(at: Date, jobType: JobType, user: number, detail: { lateMinutes: number; confidence: number; signalCount: number; child?: string; signalId?: string }) {
  signalSequence += 1;
  return {
    at,
    kind: 'signal' as const,
    label: `${jobType} for family ${user}`,
    event: signalEvent(
      {
        signalId: detail.signalId ?? `app-signal-${signalSequence}`,
        jobType,
        userId: familyId(user),
        confidence: detail.confidence,
        signalCount: detail.signalCount,
        eventTimestamp: new Date(at.getTime() - detail.lateMinutes * minute).toISOString(),
        context: { childId: detail.child ?? `child-of-${user}`, source: 'local-simulation' },
      },
      { id: `local-signal-${signalSequence}`, time: at.toISOString() },
    ),
  };
}

/**
 * The simulated days, in time order: each day's reading, every rule firing as EventBridge would deliver it, the
 * app's signals (in time, late, weak, duplicated, for a deleted account), ops switching the daily digest off
 * for an evening and replaying what it held, and a health check at the end.
 */
export function buildTimeline(sql: SqlClient, ops: SimulatedOps, start: Date, days: number, users: number): SimulatedEvent[] {
  const events: SimulatedEvent[] = [];
  const dayAt = (index: number, hours: number, minutes = 0) => new Date(start.getTime() + index * day + hours * hour + minutes * minute);
  const family = (n: number) => ((n - 1) % users) + 1;

  /** Ops flipping the daily digest's switch as `ops disable`/`enable` do: the switch and its human_overrides row. */
  const digestSwitch = (at: Date, label: string, on: boolean, reason: string, ticket: string): SimulatedEvent => ({
    at,
    kind: 'ops',
    label,
    act: async () => {
      if (!on) ops.setSwitch('daily-digest/enabled', 'false');
      await sql.query(
        `insert into human_overrides (pipeline_type, override_type, actor, reason, ticket, occurred_at)
         values ('daily_digest', $1, 'ops-oncall@storytailor', $2, $3, $4)`,
        [on ? 'kill_switch_enable' : 'kill_switch_disable', reason, ticket, at],
      );
      if (on) ops.setSwitch('daily-digest/enabled', 'true');
    },
  });

  for (let index = 0; index < days; index += 1) {
    const date = dayAt(index, 0);
    events.push({ at: date, kind: 'reading', label: 'families read', act: () => simulateReading(sql, date) });
    // The morning ops summary at 09:00, as EventBridge Scheduler hands it over.
    const morning = dayAt(index, 9);
    events.push({ at: morning, kind: 'schedule', label: 'ops summary (09:00)', event: opsSummaryEvent(morning.toISOString()) });
    const { finalizeInvoices } = ops;
    if (finalizeInvoices) {
      // Stripe bills each family on its own day of the month and applies its credit balance to the invoice.
      const billed = dayAt(index, invoiceHourUtc);
      events.push({ at: billed, kind: 'webhook', label: "Stripe finalizes the day's invoices", act: () => finalizeInvoices(billed) });
    }
    const { reportEmails } = ops;
    if (reportEmails) {
      // Late in the evening SendGrid has reported on the day's email: the digest's deliveries, its first opens.
      const reported = dayAt(index, 23, 45);
      events.push({ at: reported, kind: 'webhook', label: "SendGrid reports the day's email events", act: () => reportEmails(date, reported) });
    }
    // The quiet-hours release's schedule, every 15 minutes of the day.
    for (let tick = 0; tick < day; tick += quietHoursRelease.rateMinutes * minute) {
      const at = new Date(date.getTime() + tick);
      events.push({ at, kind: 'release', label: 'quiet-hours release', event: releaseEvent(`local-release-${at.toISOString()}`) });
    }
    for (const jobType of jobTypes) {
      for (const at of firingsOn(jobType, date)) {
        events.push({
          at,
          kind: 'schedule',
          label: `${jobType} (${toAwsCron(scheduleOf(jobType)!.schedule)})`,
          event: scheduledJobEvent({ jobType, time: at.toISOString(), id: `local-${jobType}-${at.toISOString()}`, version: true }),
        });
      }
    }
  }

  events.push(
    signal(dayAt(0, 14), 'crisis_alert', family(11), { lateMinutes: 2, confidence: 0.97, signalCount: 2 }),
    signal(dayAt(0, 14, 30), 'story_failure', family(12), { lateMinutes: 3, confidence: 0.8, signalCount: 1 }),
    signal(dayAt(0, 15), 'asset_timeout', family(13), { lateMinutes: 20, confidence: 0.9, signalCount: 1 }),
    signal(dayAt(1, 3), 'crisis_alert', family(14), { lateMinutes: 9, confidence: 0.98, signalCount: 1 }),
    signal(dayAt(1, 21, 5), 'early_intervention', family(26), { lateMinutes: 10, confidence: 0.85, signalCount: 2 }),
    signal(dayAt(2, 10), 'crisis_alert', family(31), { lateMinutes: 1, confidence: 0.9, signalCount: 1 }),
    signal(dayAt(2, 10, 1), 'crisis_alert', family(11), { lateMinutes: 1, confidence: 0.99, signalCount: 3 }),
    signal(dayAt(3, 9), 'crisis_alert', family(41), { lateMinutes: 1, confidence: 0.96, signalCount: 1, child: 'child-41', signalId: 'app-signal-duplicated' }),
    signal(dayAt(3, 9), 'crisis_alert', family(41), { lateMinutes: 1, confidence: 0.96, signalCount: 1, child: 'child-41', signalId: 'app-signal-duplicated' }),
    signal(dayAt(3, 9, 20), 'crisis_alert', family(41), { lateMinutes: 1, confidence: 0.97, signalCount: 2, child: 'child-41' }),
    signal(dayAt(3, 13), 'asset_timeout', family(42), { lateMinutes: 4, confidence: 0.7, signalCount: 1 }),
    signal(dayAt(4, 16), 'story_failure', family(43), { lateMinutes: 2, confidence: 0.3, signalCount: 1 }),
    signal(dayAt(5, 11), 'early_intervention', family(44), { lateMinutes: 30, confidence: 0.9, signalCount: 5 }),
  );
  // Sunday evening: families who had the weekly insights and the digest today are at their 24-hour cap.
  for (const n of [21, 22, 23, 24, 25]) {
    events.push(signal(dayAt(1, 21), 'early_intervention', family(n), { lateMinutes: 10, confidence: 0.9, signalCount: 4 }));
  }
  // A signal for an account deleted since: recorded and escalated, never dropped.
  events.push({
    ...signal(dayAt(6, 12), 'crisis_alert', 1, { lateMinutes: 1, confidence: 0.99, signalCount: 1 }),
    label: 'crisis_alert for a deleted account',
  });
  const deleted = events[events.length - 1]!.event as { detail: { userId: string } };
  deleted.detail.userId = '00000000-0000-4000-8000-ffffffffffff';

  // Ops switch the daily digest off for an evening, then replay what the switch held.
  const off = dayAt(2, 19, 30);
  const on = dayAt(2, 21);
  events.push(
    digestSwitch(off, 'ops: daily-digest kill switch off', false, 'Typo in the digest template', 'OPS-118'),
    digestSwitch(on, 'ops: daily-digest kill switch on', true, 'Template fixed and checked in staging', 'OPS-118'),
    {
      at: new Date(on.getTime() + 5 * minute),
      kind: 'ops',
      label: 'ops: replay what the kill switch held',
      event: replayEvent({ jobType: 'daily_digest', vetoReason: 'KILL_SWITCH_ACTIVE', from: off.toISOString(), to: on.toISOString() }, 'local-replay-ops-118'),
    },
    { at: dayAt(days - 1, 23, 59), kind: 'health', label: 'health check', event: healthEvent() },
    // The Scheduler redelivers one morning's summary: it is sent once.
    { at: dayAt(1, 9, 3), kind: 'schedule', label: 'ops summary redelivered', event: opsSummaryEvent(dayAt(1, 9).toISOString()) },
  );
  const { complaintSpike } = ops;
  if (complaintSpike && days > 4) {
    // One evening a digest goes wrong: 1 % of its families (15 at least) unsubscribe or report it as spam within the hour, and the
    // complaint breaker turns the digest off, so the next evening's digest is held. Ops turn it back on once the
    // template is fixed and replay what the switch held.
    const digest = dayAt(4, 20);
    const tripped = dayAt(4, 23, 50);
    events.push({ at: tripped, kind: 'webhook', label: 'SendGrid reports a complaint spike on the digest', act: () => complaintSpike(digest, dayAt(4, 23, 45), 0.01, 15) });
    const enabled = dayAt(5, 20, 30);
    events.push(digestSwitch(enabled, 'ops: daily-digest back on after the complaint breaker', true, 'Digest template fixed after the complaint spike', 'OPS-131'));
    events.push({
      at: new Date(enabled.getTime() + 5 * minute),
      kind: 'ops',
      label: 'ops: replay what the complaint breaker held',
      event: replayEvent({ jobType: 'daily_digest', vetoReason: 'KILL_SWITCH_ACTIVE', from: tripped.toISOString(), to: enabled.toISOString() }, 'local-replay-ops-131'),
    });
  }
  if (days > 6) {
    // The clinical review finds one of the crisis alerts a false positive.
    const reviewed = dayAt(6, 15);
    events.push({
      at: reviewed,
      kind: 'ops',
      label: 'clinical review: one crisis alert marked a false positive',
      act: async () => {
        await sql.query(
          `select curator_mark_false_positive(e.id::text, false, 'clinical-review@storytailor', 'Child was role-playing a story', 'CLIN-7', $1)
           from pipeline_executions e where e.pipeline_type = 'crisis_alert' and e.status = 'succeeded' order by e.created_at limit 1`,
          [reviewed],
        );
      },
    });
  }
  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  // The scripted days are a week; fewer simulated days run only what falls inside them.
  const end = dayAt(days, 0).getTime();
  events.splice(0, events.length, ...events.filter((event) => event.at.getTime() < end));
  const { reportEmails } = ops;
  if (reportEmails) {
    // What was sent after the last evening's report (a late signal) is reported once more at the very end.
    const last = new Date(events[events.length - 1]!.at.getTime() + minute);
    events.push({ at: last, kind: 'webhook', label: 'SendGrid reports the last email events', act: () => reportEmails(start, last) });
  }
  return events;
}

/** Runs the timeline through the handler, the clock following the events, a few seconds after each. */
export async function runTimeline(
  events: readonly SimulatedEvent[],
  clock: ManualClock,
  handler: (event: unknown) => Promise<CuratorResult>,
  onResult: (event: SimulatedEvent, result: CuratorResult | null, index: number) => void,
): Promise<void> {
  for (const [index, event] of events.entries()) {
    clock.set(new Date(event.at.getTime() + 2_000));
    if (event.act) await event.act();
    const result = event.event === undefined ? null : await handler(event.event);
    onResult(event, result, index);
  }
}

/** What the simulated days decided, per pipeline, with what ops and health saw. */
export interface SimulationResult {
  readonly tallies: ReadonlyMap<JobType, Tally>;
  readonly invocations: ReadonlyMap<JobType, number>;
  readonly notes: readonly string[];
  readonly health: HealthResult | null;
  /** Every morning summary's answer, in order (a redelivery's too). */
  readonly summaries: readonly OpsSummaryResult[];
  /** At the end, as ops would ask before tuning: what asking two reading signals of a digest would have done over the last week. */
  readonly whatIf: WhatIfResult | null;
  readonly seconds: number;
  /** Quiet hours: emails held at decision, sent by the release, superseded, and the release runs that sent them. */
  readonly quietHours: { held: number; released: number; superseded: number; releaseRuns: number };
}

/** The what-if the local run ends with (the spam-complaints runbook's first question). */
export const localWhatIf = { scope: 'daily-digest', changes: { 'min-signals': '2' }, days: 7 } as const;

/** Runs the simulated days through the handler and sums what every invocation answered. */
export async function runSimulation(input: {
  sql: SqlClient;
  clock: ManualClock;
  handler: (event: unknown) => Promise<CuratorResult>;
  /** The morning ops summary's own function, which the 09:00 schedule invokes. */
  opsSummary: (event: unknown) => Promise<OpsSummaryAnswer>;
  switches: { set(key: string, value: string): void };
  /** Posts SendGrid's events about the emails sent in [from, to) to the webhook; without it, no email is reported. */
  reportEmails?: (from: Date, to: Date) => Promise<void>;
  /** Posts a complaint spike on the digests sent in [from, to) to the webhook; without it, there is none. */
  complaintSpike?: (from: Date, to: Date, share: number, atLeast: number) => Promise<void>;
  /** Finalizes the day's Stripe invoices through the Stripe webhook; without it, no credit is applied. */
  finalizeInvoices?: (day: Date) => Promise<void>;
  start: Date;
  days: number;
  users: number;
  progress?: (line: string) => void;
}): Promise<SimulationResult> {
  const ops: SimulatedOps = {
    setSwitch: (key, value) => input.switches.set(key, value),
    ...(input.reportEmails ? { reportEmails: input.reportEmails } : {}),
    ...(input.complaintSpike ? { complaintSpike: input.complaintSpike } : {}),
    ...(input.finalizeInvoices ? { finalizeInvoices: input.finalizeInvoices } : {}),
  };
  const timeline = buildTimeline(input.sql, ops, input.start, input.days, input.users);
  const tallies = new Map<JobType, Tally>();
  const invocations = new Map<JobType, number>();
  const notes: string[] = [];
  const details = new Map<JobType, string[]>();
  let health: HealthResult | null = null;
  const summaries: OpsSummaryResult[] = [];
  const started = Date.now();
  const when = (at: Date) => at.toISOString().slice(0, 16).replace('T', ' ');

  // Each event to the function its rule or schedule invokes: the ops summary has one of its own.
  const invoke = (event: unknown) =>
    (event as { detail?: { jobType?: unknown } }).detail?.jobType === 'ops_summary' ? input.opsSummary(event) : input.handler(event);
  const quietHours = { held: 0, released: 0, superseded: 0, releaseRuns: 0 };
  await runTimeline(timeline, input.clock, invoke, (event, result, index) => {
    const idle = result !== null && result.ok && result.kind === 'release' && result.pipelines.every((pipeline) => pipeline.runId === null && pipeline.superseded === 0);
    // 96 releases a day: only those that had something to do are worth a line.
    if (!idle) input.progress?.(`[${index + 1}/${timeline.length}] ${when(event.at)}  ${event.label}`);
    if (result === null) return;
    if (!result.ok) {
      notes.push(`${when(event.at)}  refused ${event.label}: ${result.error}`);
      return;
    }
    if (result.kind === 'health') {
      health = result;
      return;
    }
    if (result.kind === 'ops_summary') {
      summaries.push(result);
      return;
    }
    if (result.kind === 'what_if') return;
    if (result.kind === 'release') {
      for (const pipeline of result.pipelines) {
        tallies.set(pipeline.jobType, addTally(tallies.get(pipeline.jobType) ?? emptyTally(), pipeline.outcome.tally));
        quietHours.released += pipeline.outcome.tally.emailsSent;
        quietHours.superseded += pipeline.superseded;
        if (pipeline.runId !== null) quietHours.releaseRuns += 1;
      }
      quietHours.held += result.tally.vetoed.QUIET_HOURS ?? 0;
      return;
    }
    quietHours.held += result.tally.vetoed.QUIET_HOURS ?? 0;
    const jobType = result.jobType as JobType;
    tallies.set(jobType, addTally(tallies.get(jobType) ?? emptyTally(), result.tally));
    invocations.set(jobType, (invocations.get(jobType) ?? 0) + 1);
    if (event.kind === 'ops') {
      notes.push(`${when(event.at)}  ${event.label}: ${result.tally.executed} held digests sent, ${vetoTotal(result.tally)} still held back by another check`);
    }
    if ('details' in result && result.details && Object.keys(result.details).length > 0) {
      const summary = Object.entries(result.details).map(([key, value]) => `${key} ${String(value)}`).join(', ');
      details.set(jobType, [...(details.get(jobType) ?? []), `${when(event.at)} ${summary}`]);
    }
  });
  for (const [jobType, runs] of details) notes.push(`${jobType}: ${runs.length} run(s); ${runs.slice(-2).join('; ')}`);
  input.progress?.(`what-if ${localWhatIf.scope} min-signals=${localWhatIf.changes['min-signals']} over the last ${localWhatIf.days} days`);
  const asked = await input.handler(whatIfEvent(localWhatIf));
  if (!asked.ok) notes.push(`the what-if was refused: ${asked.error}`);
  const whatIf = asked.ok && asked.kind === 'what_if' ? asked : null;
  return { tallies, invocations, notes, health, summaries, whatIf, seconds: (Date.now() - started) / 1000, quietHours };
}
