import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { curatorHarness, replayEvent, signalEvent, type Harness, tallyOf } from '../support/curator-harness.js';
import { insertUsers } from '../support/seed.js';

let db: TestDatabase;
let curator: Harness;
let users: string[];
let signalNumber = 0;

const now = new Date('2026-11-23T20:00:00.000Z');
const minutesAgo = (minutes: number, seconds = 0) => new Date(now.getTime() - minutes * 60_000 - seconds * 1_000).toISOString();

function crisis(userId: string, overrides: Record<string, unknown> = {}) {
  signalNumber += 1;
  return signalEvent({
    signalId: `sig-${signalNumber}`,
    jobType: 'crisis_alert',
    userId,
    confidence: 0.97,
    signalCount: 1,
    eventTimestamp: minutesAgo(1),
    context: { childId: `child-${signalNumber}` },
    ...overrides,
  });
}

const execution = async (signalId: string) =>
  (await db.sql.query(`select status, vetoed, veto_reason, error, trigger_data from pipeline_executions where period_key = $1`, [signalId]))[0];

beforeAll(async () => {
  db = await openTestDatabase();
  users = await insertUsers(db.sql, 12, { prefix: 'signal' });
});
afterAll(async () => {
  await db?.close();
});
beforeEach(() => {
  curator = curatorHarness(db, { start: now });
});

describe('a crisis alert', () => {
  it('is sent when detected a minute ago, and records the app timestamp', async () => {
    const event = crisis(users[0]!, { eventTimestamp: '2026-11-23T14:59:00-05:00' });
    const summary = await curator.handler(event);
    expect(tallyOf(summary)).toMatchObject({ executed: 1, emailsSent: 1 });
    expect(curator.mailer.sent[0]).toMatchObject({ userId: users[0], emailType: 'crisis_alert' });
    expect(await execution(event.detail.signalId as string)).toMatchObject({
      status: 'succeeded',
      trigger_data: { event_timestamp: '2026-11-23T14:59:00-05:00', child_id: (event.detail.context as { childId: string }).childId },
    });
    // Its duration is the guide's "single pipeline execution", which the p95 alarm of crisis_alert reads.
    const durations = curator.metrics.points.filter((point) => point.name === 'JobDuration' && point.pipelineType === 'crisis_alert');
    expect(durations).toHaveLength(1);
    expect(durations[0]).toMatchObject({ unit: 'Milliseconds', value: expect.any(Number) });
  });

  it('is sent when detected exactly 5 minutes ago', async () => {
    const summary = await curator.handler(crisis(users[1]!, { eventTimestamp: minutesAgo(5) }));
    expect(tallyOf(summary).executed).toBe(1);
  });

  it('is escalated, not sent, when detected 5 minutes and 1 second ago', async () => {
    const event = crisis(users[2]!, { eventTimestamp: minutesAgo(5, 1) });
    const summary = await curator.handler(event);
    expect(tallyOf(summary)).toMatchObject({ executed: 0, escalated: 1, vetoed: { SLA_MISSED: 1 } });
    expect(curator.mailer.sent).toHaveLength(0);
    expect(await execution(event.detail.signalId as string)).toMatchObject({ status: 'escalated', vetoed: true, veto_reason: 'SLA_MISSED' });
    expect(curator.metrics.total('CrisisEscalations')).toBe(1);
    expect(curator.metrics.total('SLAViolations', { pipelineType: 'crisis_alert' })).toBe(1);
    const line = curator.logger.lines.find((entry) => entry.veto_reason === 'SLA_MISSED');
    expect(line).toMatchObject({ level: 'ERROR', status: 'escalated', sla_minutes: 5 });
    expect(line!.elapsed_minutes as number).toBeCloseTo(5.0167, 3);
  });

  it('is acted on once when the app sends the same signal twice', async () => {
    const event = crisis(users[3]!);
    await curator.handler(event);
    const again = await curator.handler(event);
    expect(tallyOf(again)).toMatchObject({ executed: 0, skipped: 1 });
    expect(curator.mailer.sent).toHaveLength(1);
  });

  it('bypasses the non-critical caps', async () => {
    await db.sql.query(
      `insert into email_delivery_log (user_id, email_type, status, queued_at, sent_at)
       select $1, 'daily_digest', 'sent', $2::timestamptz - g * interval '1 hour', $2::timestamptz - g * interval '1 hour' from generate_series(1, 4) g`,
      [users[4], now],
    );
    const summary = await curator.handler(crisis(users[4]!));
    expect(tallyOf(summary).executed).toBe(1);
  });

  it('goes once per child per hour, but to every child', async () => {
    const first = await curator.handler(crisis(users[5]!, { context: { childId: 'maya' } }));
    const sameChild = await curator.handler(crisis(users[5]!, { context: { childId: 'maya' } }));
    const otherChild = await curator.handler(crisis(users[5]!, { context: { childId: 'leo' } }));
    expect(tallyOf(first).executed).toBe(1);
    expect(tallyOf(sameChild).vetoed).toEqual({ FREQUENCY_CAP: 1 });
    expect(tallyOf(otherChild).executed).toBe(1);
  });

  it('is sent again when the provider fails, and escalated if it never goes', async () => {
    let attempts = 0;
    curator.mailer.failWith = () => (++attempts < 3 ? 'failed' : null);
    const recovered = await curator.handler(crisis(users[6]!));
    expect(tallyOf(recovered).executed).toBe(1);
    expect(attempts).toBe(3);

    curator.mailer.failWith = () => 'unknown';
    const event = crisis(users[7]!);
    const lost = await curator.handler(event);
    expect(tallyOf(lost)).toMatchObject({ executed: 0, escalated: 1 });
    expect(await execution(event.detail.signalId as string)).toMatchObject({ status: 'escalated', vetoed: false });
    expect(curator.metrics.total('CrisisEscalations')).toBe(1);
    expect(curator.metrics.total('EmailDeliveryFailure')).toBe(1);
  });

  it('for a user that does not exist is escalated, not dropped', async () => {
    const event = crisis('00000000-0000-4000-8000-000000000000');
    const summary = await curator.handler(event);
    expect(tallyOf(summary).escalated).toBe(1);
    expect(await execution(event.detail.signalId as string)).toMatchObject({ status: 'escalated', error: expect.stringContaining('names no user') });
  });

  it('proceeds when the switches were never read, and stops when the crisis switch is off', async () => {
    curator.deps.switches.read = async () => ({ parameters: null, stale: false });
    expect((await curator.handler(crisis(users[8]!))).ok && curator.mailer.sent).toHaveLength(1);

    const off = curatorHarness(db, { start: now });
    off.switches.set('crisis-alert/enabled', 'false');
    const held = await off.handler(crisis(users[9]!));
    expect(tallyOf(held).vetoed).toEqual({ KILL_SWITCH_ACTIVE: 1 });
  });

  it('held by the kill switch is escalated by a replay once past its SLA', async () => {
    curator.switches.set('crisis-alert/enabled', 'false');
    const event = crisis(users[10]!);
    await curator.handler(event);
    curator.switches.set('crisis-alert/enabled', 'true');
    curator.clock.advance(20 * 60_000);
    const replay = await curator.handler(replayEvent({ jobType: 'crisis_alert', vetoReason: 'KILL_SWITCH_ACTIVE', from: minutesAgo(60), userIds: [users[10]] }));
    expect(tallyOf(replay)).toMatchObject({ escalated: 1, vetoed: { SLA_MISSED: 1 } });
    expect(await execution(event.detail.signalId as string)).toMatchObject({ status: 'escalated', veto_reason: 'SLA_MISSED' });
  });
});

describe('a crisis alert under hostile parameters put straight into SSM', () => {
  const hostile = {
    'crisis-alert/type-cap-window-hours': '1e300',
    'crisis-alert/type-cap-max': '0',
    'crisis-alert/sla-minutes': '5e-324',
    'crisis-alert/min-confidence': '1',
    'crisis-alert/min-signals': '0x10',
  };

  it('is decided as the defaults would: sent, nothing thrown, each bad value logged once and counted by the health job', async () => {
    for (const [key, value] of Object.entries(hostile)) curator.switches.set(key, value);
    const first = await curator.handler(crisis(users[9]!, { eventTimestamp: minutesAgo(4) }));
    expect(tallyOf(first)).toMatchObject({ executed: 1, emailsSent: 1 });
    // A second child of the same family within the hour: the default cap is per child, so it goes too.
    const second = await curator.handler(crisis(users[9]!, { eventTimestamp: minutesAgo(2), confidence: 0.96 }));
    expect(tallyOf(second)).toMatchObject({ executed: 1 });
    // Below the default threshold it is vetoed as the default would: 0.94 < 0.95.
    const low = await curator.handler(crisis(users[10]!, { confidence: 0.94 }));
    expect(tallyOf(low).vetoed).toEqual({ LOW_CONFIDENCE: 1 });

    const warnings = curator.logger.lines.filter((line) => line.message === 'ignored a parameter; the default applies');
    expect(warnings.map((line) => line.parameter).sort()).toEqual(Object.keys(hostile).sort());
    expect(warnings.find((line) => line.parameter === 'crisis-alert/type-cap-window-hours')).toMatchObject({ level: 'WARN', value: '"1e300"' });

    const health = await curator.handler({ detail: { jobType: 'health' } });
    expect(health).toMatchObject({ ok: true, health: { ignoredParameters: expect.arrayContaining([expect.stringMatching(/^crisis-alert\/type-cap-window-hours: "1e300" is not valid/)]) } });
    expect(curator.metrics.points.filter((point) => point.name === 'IgnoredParameters').map((point) => point.value)).toEqual([5]);
    // Logged once per key and value in this container, however often it is read.
    expect(curator.logger.lines.filter((line) => line.message === 'ignored a parameter; the default applies')).toHaveLength(5);
  });
});

describe('other realtime signals', () => {
  it('holds an early intervention with 2 of 3 signals, and a second one within 72 hours', async () => {
    const early = (signalId: string, signalCount: number) =>
      signalEvent({ signalId, jobType: 'early_intervention', userId: users[11], confidence: 0.85, signalCount, eventTimestamp: minutesAgo(10) });
    expect((await curator.handler(early('early-1', 2))).ok && curator.mailer.sent).toHaveLength(0);
    const sent = await curator.handler(early('early-2', 3));
    const capped = await curator.handler(early('early-3', 4));
    expect(tallyOf(sent).executed).toBe(1);
    expect(tallyOf(capped).vetoed).toEqual({ FREQUENCY_CAP: 1 });
  });

  it('holds a story failure reported after its 15 minute SLA without escalating it', async () => {
    const summary = await curator.handler(
      signalEvent({ signalId: 'sf-1', jobType: 'story_failure', userId: users[0], confidence: 0.9, signalCount: 1, eventTimestamp: minutesAgo(16) }),
    );
    expect(tallyOf(summary)).toMatchObject({ escalated: 0, vetoed: { SLA_MISSED: 1 } });
  });
});
