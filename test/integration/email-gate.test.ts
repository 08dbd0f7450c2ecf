import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, emailPolicyJson, resolvePolicy, VetoReason } from '../../src/curator/index.js';
import { loadEmailFacts } from '../support/email-facts.js';
import { jobTypes, pipelineOf, uncappedEmailTypes, type JobType } from '../../src/pipelines/index.js';
import { contextFor, passingCandidate } from '../support/decision-fixtures.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { insertUsers } from '../support/seed.js';

const emailJobTypes = jobTypes.filter((jobType) => pipelineOf(jobType).channel === 'email');
const emailTypes = emailJobTypes.map((jobType) => pipelineOf(jobType).emailType!);
const statuses = ['queued', 'sent', 'failed', 'delivered', 'opened', 'clicked', 'bounced', 'dropped', 'unsubscribed', 'spamreport'];
const at = new Date('2026-11-23T20:00:00.000Z');
const usersPerCase = 5;

// Window edges in minutes: an email exactly on an edge is outside the rolling window.
const edges = [0, 1, 59, 60, 61, 24 * 60 - 1, 24 * 60, 24 * 60 + 1, 72 * 60, 168 * 60 - 1, 168 * 60, 168 * 60 + 1];
const minutesAgo = fc.oneof(fc.constantFrom(...edges), fc.integer({ min: -30, max: 200 * 60 }));
const email = fc.record({ emailType: fc.constantFrom(...emailTypes), status: fc.constantFrom(...statuses), minutesAgo });
const preference = fc.record({ emailType: fc.constantFrom('all', ...emailTypes), enabled: fc.boolean() });
const userHistory = fc.record({
  emails: fc.array(email, { maxLength: 14 }),
  preferences: fc.uniqueArray(preference, { maxLength: 3, selector: (p) => p.emailType }),
  suppressed: fc.boolean(),
});
const overrides = fc.record({
  jobType: fc.constantFrom(...emailJobTypes),
  // Within the ranges ops may set (a cap of 0 is refused: a kill switch stops a pipeline).
  cap24h: fc.integer({ min: 1, max: 4 }),
  cap7d: fc.integer({ min: 1, max: 12 }),
  typeCapMax: fc.integer({ min: 1, max: 2 }),
});

type History = { emails: Array<{ emailType: string; status: string; minutesAgo: number }>; preferences: Array<{ emailType: string; enabled: boolean }>; suppressed: boolean };

/** The counts as the design states them, computed without SQL, to check email_cap_facts against. */
function expectedCounts(history: History, emailType: string, typeWindowHours: number | null, windows: readonly number[]) {
  const inWindow = (minutes: number, hours: number) => minutes >= 0 && minutes < hours * 60;
  const counted = history.emails.filter((e) => e.status !== 'failed');
  return {
    typeCount:
      typeWindowHours === null ? 0 : counted.filter((e) => e.emailType === emailType && inWindow(e.minutesAgo, typeWindowHours)).length,
    nonCriticalCounts: windows.map(
      (hours) => counted.filter((e) => !uncappedEmailTypes.includes(e.emailType) && inWindow(e.minutesAgo, hours)).length,
    ),
  };
}

let db: TestDatabase;
let users: string[];

beforeAll(async () => {
  db = await openTestDatabase();
  users = await insertUsers(db.sql, usersPerCase, { prefix: 'gate' });
});
afterAll(async () => {
  await db?.close();
});

async function store(histories: History[]) {
  await db.sql.exec('delete from email_delivery_log; delete from email_preferences; delete from email_suppressions;');
  const emails = histories.flatMap((history, i) => history.emails.map((e) => ({ ...e, userId: users[i] })));
  const preferences = histories.flatMap((history, i) => history.preferences.map((p) => ({ ...p, userId: users[i] })));
  await db.sql.query(
    `insert into email_delivery_log (user_id, email_type, status, created_at, queued_at, sent_at)
     select e.user_id, e.email_type, e.status, $2::timestamptz - e.minutes_ago * interval '1 minute',
            $2::timestamptz - e.minutes_ago * interval '1 minute',
            case when e.status in ('queued', 'failed') then null else $2::timestamptz - e.minutes_ago * interval '1 minute' end
     from jsonb_to_recordset($1::jsonb) as e(user_id uuid, email_type text, status text, minutes_ago int)`,
    [JSON.stringify(emails.map((e) => ({ user_id: e.userId, email_type: e.emailType, status: e.status, minutes_ago: e.minutesAgo }))), at],
  );
  await db.sql.query(
    `insert into email_preferences (user_id, email_type, enabled)
     select p.user_id, p.email_type, p.enabled from jsonb_to_recordset($1::jsonb) as p(user_id uuid, email_type text, enabled boolean)`,
    [JSON.stringify(preferences.map((p) => ({ user_id: p.userId, email_type: p.emailType, enabled: p.enabled })))],
  );
  const suppressed = users.filter((_, i) => histories[i]!.suppressed);
  await db.sql.query(`insert into email_suppressions (email, reason, user_id) select email, 'bounce', id from users where id = any($1::uuid[])`, [
    suppressed,
  ]);
}

describe('should_send_email() and the batch decision', () => {
  it('give the same answer over generated histories, preferences, suppressions and caps', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(userHistory, { minLength: usersPerCase, maxLength: usersPerCase }), overrides, async (histories, tune) => {
        await store(histories);
        const slug = pipelineOf(tune.jobType as JobType).slug;
        const { policy } = resolvePolicy(
          tune.jobType as JobType,
          new Map([
            ['all/email-cap-24h', String(tune.cap24h)],
            ['all/email-cap-7d', String(tune.cap7d)],
            [`${slug}/type-cap-max`, String(tune.typeCapMax)],
          ]),
        );
        const json = emailPolicyJson(policy);
        const emailType = policy.emailType!;
        const facts = await loadEmailFacts(db.sql, users, emailType, json, at);

        for (const [i, userId] of users.entries()) {
          const history = histories[i]!;
          const userFacts = facts.get(userId)!;
          expect(userFacts).toMatchObject(
            expectedCounts(history, emailType, policy.typeCap?.windowHours ?? null, policy.nonCriticalCaps.map((cap) => cap.windowHours)),
          );

          const verdict = decide(passingCandidate(policy, { email: userFacts }), contextFor(policy));
          const batchSends = verdict.outcome === 'execute';
          if (!batchSends) {
            expect([VetoReason.USER_OPTED_OUT, VetoReason.FREQUENCY_CAP]).toContain(verdict.outcome === 'veto' && verdict.reason);
          }
          const [row] = await db.sql.query<{ allowed: boolean }>('select should_send_email($1, $2, $3::jsonb, $4) as allowed', [
            userId,
            emailType,
            JSON.stringify(json),
            at,
          ]);
          expect(row!.allowed, `user ${i} ${JSON.stringify(history)} ${JSON.stringify(json)}`).toBe(batchSends);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('both refuse a crisis alert opted out by its own row but not by "all"', async () => {
    const crisis = resolvePolicy('crisis_alert').policy;
    const history = (preferences: History['preferences']): History[] =>
      users.map(() => ({ emails: [], preferences, suppressed: false }));
    const ask = async () =>
      (
        await db.sql.query<{ allowed: boolean }>('select should_send_email($1, $2, $3::jsonb, $4) as allowed', [
          users[0],
          'crisis_alert',
          JSON.stringify(emailPolicyJson(crisis)),
          at,
        ])
      )[0]!.allowed;

    await store(history([{ emailType: 'all', enabled: false }]));
    expect(await ask()).toBe(true);
    await store(history([{ emailType: 'crisis_alert', enabled: false }]));
    expect(await ask()).toBe(false);
  });

  it('both let an organisation report through a family at its caps, count it toward none, and honour its opt-outs and suppression', async () => {
    const report = resolvePolicy('org_health_report').policy;
    const digest = resolvePolicy('daily_digest').policy;
    const ask = async (policy: typeof report, userId: string) =>
      (
        await db.sql.query<{ allowed: boolean }>('select should_send_email($1, $2, $3::jsonb, $4) as allowed', [
          userId,
          policy.emailType,
          JSON.stringify(emailPolicyJson(policy)),
          at,
        ])
      )[0]!.allowed;
    const decided = async (policy: typeof report, userId: string) => {
      const facts = (await loadEmailFacts(db.sql, [userId], policy.emailType!, emailPolicyJson(policy), at)).get(userId)!;
      const verdict = decide(passingCandidate(policy, { email: facts }), contextFor(policy));
      return verdict.outcome === 'execute' ? 'execute' : verdict.outcome === 'veto' ? verdict.reason : verdict.outcome;
    };
    // Sunday's insights at 18:00 and digest at 20:00: the family cap of two a day is full on Monday morning.
    const sunday = (type: string, minutes: number) => ({ emailType: type, status: 'sent', minutesAgo: minutes });
    const full: History = { emails: [sunday('weekly_insights', 15 * 60), sunday('daily_digest', 13 * 60)], preferences: [], suppressed: false };
    await store([full, { ...full, preferences: [{ emailType: 'org_health_report', enabled: false }] }, { ...full, preferences: [{ emailType: 'all', enabled: false }] }, { ...full, suppressed: true }, { emails: [sunday('org_health_report', 60), sunday('org_health_report', 30)], preferences: [], suppressed: false }]);
    expect(await decided(report, users[0]!)).toBe('execute');
    expect(await ask(report, users[0]!)).toBe(true);
    expect(await decided(digest, users[0]!)).toBe(VetoReason.FREQUENCY_CAP);
    for (const held of [1, 2, 3]) {
      expect(await decided(report, users[held]!)).toBe(VetoReason.USER_OPTED_OUT);
      expect(await ask(report, users[held]!)).toBe(false);
    }
    // Two reports of two organisations this morning count toward no family cap: the digest still goes.
    expect(await decided(digest, users[4]!)).toBe('execute');
    expect(await ask(digest, users[4]!)).toBe(true);
  });

  it('refuse an unknown user', async () => {
    const [row] = await db.sql.query<{ allowed: boolean }>('select should_send_email($1, $2, $3::jsonb, $4) as allowed', [
      '00000000-0000-0000-0000-000000000001',
      'daily_digest',
      JSON.stringify(emailPolicyJson(resolvePolicy('daily_digest').policy)),
      at,
    ]);
    expect(row!.allowed).toBe(false);
  });
});
