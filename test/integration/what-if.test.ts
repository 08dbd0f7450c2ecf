import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signalEvent } from '../../src/events/curator-events.js';
import type { JobType } from '../../src/pipelines/index.js';
import { parseProposal } from '../../src/what-if/proposal.js';
import { decidedOf, type Decided, type Redecided } from '../../src/what-if/redecide.js';
import { whatIf } from '../../src/what-if/what-if.js';
import { curatorHarness, scheduledEvent, type Harness } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

const start = new Date('2026-11-23T00:00:00Z');
const days = 7;
const families = 30;
/** Families 0-9 also get an early intervention at 10:00 and a story-failure email at 12:00 every day. */
const busy = 10;
const hour = 3_600_000;
const familyId = (n: number) => `00000000-0000-4000-8000-${String(n + 1).padStart(12, '0')}`;
const at = (day: number, hours: number, minutes = 0) => new Date(start.getTime() + day * 24 * hour + hours * hour + minutes * 60_000);

/** The same families and reading in every database: ids fixed, confidences from 0.4 to 1 (0.5 and 0.6 among them). */
async function seed(db: TestDatabase): Promise<void> {
  await db.sql.query(
    `insert into users (id, email, first_name, stripe_customer_id, is_active)
     select ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'family-' || g || '@families.test', 'Parent', 'cus_' || g, true
     from generate_series(1, $1::int) g`,
    [families],
  );
  const [story] = await db.sql.query<{ id: string }>(`insert into stories (title) values ('Moon Garden') returning id`);
  // Family n on day d reads 2 to 5 times, finishing some: confidence = finished / read.
  await db.sql.query(
    `insert into consumption_metrics (user_id, story_id, event_type, occurred_at)
     select ('00000000-0000-4000-8000-' || lpad((n + 1)::text, 12, '0'))::uuid, $2,
            case when k < (n * 7 + d * 3) % (2 + (n + d) % 4 + 1) then 'completed' else 'started' end,
            $3::timestamptz + d * interval '1 day' + interval '17 hours' + k * interval '1 minute'
     from generate_series(0, $1::int - 1) n, generate_series(0, ${days - 1}) d, lateral generate_series(0, 1 + (n + d) % 4) k`,
    [families, story!.id, start],
  );
}

function signal(jobType: JobType, family: number, time: Date, id: string, detail: { confidence: number; signalCount: number; child?: string }) {
  return signalEvent({
    signalId: id,
    jobType,
    userId: familyId(family),
    confidence: detail.confidence,
    signalCount: detail.signalCount,
    eventTimestamp: new Date(time.getTime() - 60_000).toISOString(),
    context: { childId: detail.child ?? `child-of-${family}` },
  });
}

/** A week: early interventions and story failures for the busy families, two crisis alerts an hour apart, the digest at 20:00. */
async function runWeek(harness: Harness): Promise<void> {
  const send = async (time: Date, event: unknown) => {
    harness.clock.set(time);
    const result = await harness.handler(event);
    if (!result.ok) throw new Error(`refused: ${result.error}`);
  };
  for (let day = 0; day < days; day += 1) {
    for (let n = 0; n < busy; n += 1) {
      await send(at(day, 10, n), signal('early_intervention', n, at(day, 10, n), `ei-${day}-${n}`, { confidence: 0.9, signalCount: 4 }));
      await send(at(day, 12, n), signal('story_failure', n, at(day, 12, n), `sf-${day}-${n}`, { confidence: 0.8, signalCount: 1 }));
    }
    if (day % 3 === 1) {
      await send(at(day, 14), signal('crisis_alert', 2, at(day, 14), `crisis-${day}-a`, { confidence: 0.97, signalCount: 2, child: 'child-2' }));
      await send(at(day, 14, 30), signal('crisis_alert', 2, at(day, 14, 30), `crisis-${day}-b`, { confidence: 0.98, signalCount: 2, child: 'child-2' }));
    }
    await send(at(day, 20), scheduledEvent('daily_digest', at(day, 20)));
  }
}

type DecisionKey = string;
const keyOf = (jobType: string, subject: string, period: string): DecisionKey => `${jobType}|${subject}|${period}`;
const label = (decided: Decided) => (decided.kind === 'vetoed' ? decided.reason : decided.kind);

/** Every decision a database recorded, as what-if reads a record. */
async function recordedDecisions(db: TestDatabase): Promise<Map<DecisionKey, string>> {
  const rows = await db.sql.query<{ pipeline_type: string; subject_key: string; period_key: string; status: string; veto_reason: string | null; problem: boolean }>(
    `select pipeline_type, subject_key, period_key, status, veto_reason, decision_facts ? 'problem' as problem from pipeline_executions`,
  );
  const decisions = new Map<DecisionKey, string>();
  for (const row of rows) {
    const decided = decidedOf({ status: row.status, vetoReason: row.veto_reason } as Parameters<typeof decidedOf>[0], row.problem);
    if (decided !== null) decisions.set(keyOf(row.pipeline_type, row.subject_key, row.period_key), label(decided));
  }
  return decisions;
}

let recorded: TestDatabase;
let defaults: Map<DecisionKey, string>;
const opened: TestDatabase[] = [];

beforeAll(async () => {
  recorded = await openTestDatabase();
  opened.push(recorded);
  await seed(recorded);
  await runWeek(curatorHarness(recorded, { start }));
  defaults = await recordedDecisions(recorded);
}, 600_000);
afterAll(async () => {
  for (const db of opened) await db.close();
});

/**
 * What-if on the week recorded under the defaults, against the same week really run under the proposal in a
 * database of its own: decision by decision, they must agree.
 */
async function compare(scope: string, assignments: string, parameters: Record<string, string>) {
  const real = await openTestDatabase();
  opened.push(real);
  await seed(real);
  const harness = curatorHarness(real, { start });
  for (const [key, value] of Object.entries(parameters)) harness.switches.set(key, value);
  await runWeek(harness);
  const underProposal = await recordedDecisions(real);

  const redecided: Redecided[] = [];
  const report = await whatIf(
    curatorHarness(recorded, { start }).deps.store,
    { proposal: parseProposal(scope, assignments), days, now: at(days, 0) },
    { familiesPerPage: 7, onDecision: (result) => redecided.push(result) },
  );
  const predicted = new Map<DecisionKey, string>();
  for (const result of redecided) {
    expect('cannot' in result ? result.cannot : null).toBeNull();
    if ('cannot' in result) continue;
    predicted.set(keyOf(result.decision.jobType, result.decision.subjectKey, result.decision.periodKey), label(result.after));
  }
  const walked = [...underProposal.keys()].filter((key) => report.pipelines.some((pipeline) => key.startsWith(`${pipeline.pipelineType}|`)));
  expect(predicted.size).toBe(walked.length);
  const disagreements = walked.filter((key) => predicted.get(key) !== underProposal.get(key)).map((key) => `${key}: what-if ${predicted.get(key)}, real ${underProposal.get(key)}`);
  expect(disagreements).toEqual([]);
  return { report, underProposal };
}

const changedCount = (before: Map<DecisionKey, string>, after: Map<DecisionKey, string>) => [...after].filter(([key, value]) => before.get(key) !== value).length;

describe('ops what-if against the week really run under the proposal', () => {
  it('daily-digest min-confidence=0.6', async () => {
    const { report, underProposal } = await compare('daily-digest', 'min-confidence=0.6', { 'daily-digest/min-confidence': '0.6' });
    const digest = report.pipelines.find((pipeline) => pipeline.pipelineType === 'daily_digest')!;
    expect(digest.total.executedToVetoed.LOW_CONFIDENCE).toBeGreaterThan(0);
    expect(digest.total.emailsAfter).toBeLessThan(digest.total.emailsBefore);
    expect(report.changed).toBe(changedCount(defaults, underProposal));
    expect(digest.days).toHaveLength(days);
    expect(digest.sampleFamilies.length).toBeGreaterThan(0);
  }, 600_000);

  it('early-intervention type-cap-max=2, which moves the evening digests into the 24-hour cap', async () => {
    const { report, underProposal } = await compare('early-intervention', 'type-cap-max=2', { 'early-intervention/type-cap-max': '2' });
    const intervention = report.pipelines.find((pipeline) => pipeline.pipelineType === 'early_intervention')!;
    const digest = report.pipelines.find((pipeline) => pipeline.pipelineType === 'daily_digest')!;
    expect(intervention.total.vetoedToExecuted.FREQUENCY_CAP).toBeGreaterThan(0);
    expect(digest.total.executedToVetoed.FREQUENCY_CAP).toBeGreaterThan(0);
    expect(report.changed).toBe(changedCount(defaults, underProposal));
  }, 600_000);

  it('all email-cap-24h=1, across every email pipeline', async () => {
    const { report, underProposal } = await compare('all', 'email-cap-24h=1', { 'all/email-cap-24h': '1' });
    const failures = report.pipelines.find((pipeline) => pipeline.pipelineType === 'story_failure')!;
    expect(failures.total.executedToVetoed.FREQUENCY_CAP).toBeGreaterThan(0);
    expect(report.changed).toBe(changedCount(defaults, underProposal));
    expect(report.pipelines.find((pipeline) => pipeline.pipelineType === 'crisis_alert')?.total.changed ?? 0).toBe(0);
  }, 600_000);

  it('names apart what it cannot make again: decisions from before the facts were kept', async () => {
    await recorded.sql.query(`update pipeline_executions set decision_facts = null where pipeline_type = 'daily_digest' and period_key = '2026-11-23'`);
    try {
      const report = await whatIf(curatorHarness(recorded, { start }).deps.store, { proposal: parseProposal('daily-digest', 'min-confidence=0.6'), days, now: at(days, 0) });
      expect(report.notRedecided['recorded before decisions kept their facts']).toBe(families);
    } finally {
      await recorded.sql.query(`update pipeline_executions set decision_facts = '{}'::jsonb where decision_facts is null`);
    }
  }, 600_000);
});
