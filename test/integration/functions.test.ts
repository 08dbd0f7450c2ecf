import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emailPolicyJson, resolvePolicy } from '../../src/curator/index.js';
import { loadEmailFacts } from '../support/email-facts.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { insertUsers } from '../support/seed.js';

let db: TestDatabase;
let users: string[];

beforeAll(async () => {
  db = await openTestDatabase();
  users = await insertUsers(db.sql, 4, { prefix: 'fn' });
});
afterAll(async () => {
  await db?.close();
});

describe('track_consumption_event()', () => {
  it('records a reading event and returns its id', async () => {
    const [story] = await db.sql.query<{ id: string }>(`insert into stories (title) values ('The brave owl') returning id`);
    const [row] = await db.sql.query<{ id: number }>(
      `select track_consumption_event($1, $2, 'completed', 300, 100, '{"device":"tablet"}') as id`,
      [users[0], story!.id],
    );
    const [event] = await db.sql.query(`select user_id, event_type, duration_seconds, metadata from consumption_metrics where id = $1`, [row!.id]);
    expect(event).toEqual({ user_id: users[0], event_type: 'completed', duration_seconds: 300, metadata: { device: 'tablet' } });
  });

  it('rejects an event type the schema does not know', async () => {
    const [story] = await db.sql.query<{ id: string }>(`insert into stories (title) values ('x') returning id`);
    await expect(db.sql.query(`select track_consumption_event($1, $2, 'liked')`, [users[0], story!.id])).rejects.toThrow(/check/i);
  });
});

describe('calculate_story_effectiveness()', () => {
  it('scores every story read in the window, in one call, and rescoring replaces the score', async () => {
    await db.sql.exec('delete from consumption_metrics; delete from story_effectiveness;');
    const stories = await db.sql.query<{ id: string }>(`insert into stories (title) values ('loved'), ('abandoned') returning id`);
    const [loved, abandoned] = stories.map((story) => story.id);
    const events: Array<[string, string, string]> = [
      [users[0]!, loved!, 'started'],
      [users[0]!, loved!, 'completed'],
      [users[0]!, loved!, 'replayed'],
      [users[1]!, loved!, 'started'],
      [users[1]!, loved!, 'completed'],
      [users[2]!, abandoned!, 'started'],
      [users[2]!, abandoned!, 'abandoned'],
    ];
    for (const [user, story, type] of events) {
      await db.sql.query(`select track_consumption_event($1, $2, $3)`, [user, story, type]);
    }
    const [{ scored } = { scored: 0 }] = await db.sql.query<{ scored: number }>(
      `select calculate_story_effectiveness(now() - interval '1 day') as scored`,
    );
    expect(scored).toBe(2);
    const scores = await db.sql.query<{ story_id: string; effectiveness_score: number; completion_rate: number; unique_readers: number }>(
      `select story_id, effectiveness_score, completion_rate, unique_readers from story_effectiveness`,
    );
    const byStory = new Map(scores.map((score) => [score.story_id, score]));
    // loved: completion 2/2, replay 1/2, abandonment 0 -> 0.6 + 0.125 + 0.15
    expect(byStory.get(loved!)).toMatchObject({ effectiveness_score: 0.875, completion_rate: 1, unique_readers: 2 });
    // abandoned: completion 0, replay 0, abandonment 1 -> 0
    expect(byStory.get(abandoned!)).toMatchObject({ effectiveness_score: 0, completion_rate: 0, unique_readers: 1 });

    await db.sql.query(`select track_consumption_event($1, $2, 'completed')`, [users[3], abandoned]);
    await db.sql.query(`select track_consumption_event($1, $2, 'started')`, [users[3], abandoned]);
    await db.sql.query(`select calculate_story_effectiveness(now() - interval '1 day')`);
    const [rescored] = await db.sql.query<{ completion_rate: number }>(
      `select completion_rate from story_effectiveness where story_id = $1`,
      [abandoned],
    );
    expect(rescored!.completion_rate).toBe(0.5);
  });
});

describe('calculate_user_credits()', () => {
  it('sums credit issued and neither applied, failed nor expired', async () => {
    const user = users[1]!;
    await db.sql.query(
      `insert into reward_ledger (user_id, amount, source, status, reference_key, expires_at) values
       ($1, 1000, 'referral', 'pending', 'c-1', now() + interval '10 days'),
       ($1, 700, 'milestone', 'pending', 'c-2', null),
       ($1, 300, 'referral', 'pending', 'c-3', now() - interval '1 day'),
       ($1, 900, 'referral', 'applied', 'c-4', null),
       ($1, 400, 'referral', 'failed', 'c-5', null),
       ($1, -300, 'expiry', 'pending', 'c-3-expiry', null)`,
      [user],
    );
    const [row] = await db.sql.query<{ credits: number }>(`select calculate_user_credits($1) as credits`, [user]);
    expect(row!.credits).toBe(1700);
    const [none] = await db.sql.query<{ credits: number }>(`select calculate_user_credits($1) as credits`, [users[3]]);
    expect(none!.credits).toBe(0);
  });
});

describe('email_cap_facts()', () => {
  beforeEach(async () => {
    await db.sql.exec('delete from email_delivery_log; delete from email_preferences; delete from email_suppressions;');
  });

  it('leaves out the emails of executions it is told to exclude, so a claimed action does not count itself', async () => {
    const at = new Date();
    const [execution] = await db.sql.query<{ id: string }>(
      `insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key, user_id)
       values ('daily_digest', 'daily-digest', $1::text, 'facts', $1::uuid) returning id`,
      [users[0]],
    );
    await db.sql.query(
      `insert into email_delivery_log (execution_id, user_id, email_type, status, queued_at, created_at)
       values ($1, $2, 'daily_digest', 'queued', $3, $3)`,
      [execution!.id, users[0], new Date(at.getTime() - 1000)],
    );
    const policy = emailPolicyJson(resolvePolicy('daily_digest').policy);
    expect((await loadEmailFacts(db.sql, [users[0]!], 'daily_digest', policy, at)).get(users[0]!)!.nonCriticalCounts).toEqual([1, 1]);
    expect(
      (await loadEmailFacts(db.sql, [users[0]!], 'daily_digest', policy, at, [execution!.id])).get(users[0]!)!.nonCriticalCounts,
    ).toEqual([0, 0]);
  });

  it('answers for a whole page of users in one call, with zeros for users with no email', async () => {
    const facts = await loadEmailFacts(db.sql, users, 'weekly_insights', emailPolicyJson(resolvePolicy('weekly_insights').policy), new Date());
    expect([...facts.keys()].sort()).toEqual([...users].sort());
    for (const userFacts of facts.values()) {
      expect(userFacts).toEqual({ optedOut: false, suppressed: false, typeCount: 0, nonCriticalCounts: [0, 0] });
    }
  });
});

describe('archive_expired_records()', () => {
  it('moves old executions and emails to the archive in batches, keeping users on legal hold and recent rows', async () => {
    await db.sql.exec('delete from email_delivery_log; delete from reward_ledger; delete from pipeline_executions; delete from legal_holds;');
    const [held, free] = [users[2]!, users[3]!];
    await db.sql.query(`insert into legal_holds (user_id, reason, placed_by) values ($1, 'litigation LH-7', 'legal@storytailor')`, [held]);
    await db.sql.query(
      `with executions as (
         insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, completed_at, created_at)
         select 'daily_digest', 'daily-digest', u.user_id::text, 'p' || n, u.user_id, 'succeeded', now(), now() - (n || ' days')::interval + interval '1 hour'
         from unnest($1::uuid[]) as u(user_id), generate_series(85, 99) as n
         returning id, user_id, created_at)
       insert into email_delivery_log (execution_id, user_id, email_type, status, sent_at, created_at)
       select id, user_id, 'daily_digest', 'delivered', created_at, created_at from executions`,
      [[held, free]],
    );
    // Per user: days 85..99 -> 9 rows older than 90 days (91..99), 6 younger.
    const moved = { executions: 0, emails: 0 };
    let calls = 0;
    for (;;) {
      const [batch] = await db.sql.query<{ executions_archived: number; emails_archived: number }>(
        `select * from archive_expired_records(now() - interval '90 days', 4)`,
      );
      calls += 1;
      if (batch!.executions_archived === 0 && batch!.emails_archived === 0) break;
      expect(batch!.executions_archived).toBeLessThanOrEqual(4);
      moved.executions += batch!.executions_archived;
      moved.emails += batch!.emails_archived;
    }
    expect(moved).toEqual({ executions: 9, emails: 9 });
    expect(calls).toBe(4);

    const count = async (table: string, user: string) =>
      (await db.sql.query<{ n: number }>(`select count(*) as n from ${table} where user_id = $1`, [user]))[0]!.n;
    expect(await count('pipeline_executions', held)).toBe(15);
    expect(await count('email_delivery_log', held)).toBe(15);
    expect(await count('pipeline_executions', free)).toBe(6);
    expect(await count('pipeline_executions_archive', free)).toBe(9);
    expect(await count('email_delivery_log_archive', free)).toBe(9);
    const [archived] = await db.sql.query(
      `select a.status, a.subject_key, l.execution_id = a.id as linked
       from pipeline_executions_archive a join email_delivery_log_archive l on l.execution_id = a.id limit 1`,
    );
    expect(archived).toEqual({ status: 'succeeded', subject_key: free, linked: true });
  });

  it('archives a quiet-hours hold and a superseded digest with the time they were held until', async () => {
    const user = users[3]!;
    const heldUntil = new Date(Date.now() - 95 * 86_400_000);
    await db.sql.query(
      `insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason, held_until, completed_at, created_at)
       values ('daily_digest', 'daily-digest', $1, 'q-held', $2, 'vetoed', true, 'QUIET_HOURS', $3, $3, $3::timestamptz - interval '6 hours'),
              ('daily_digest', 'daily-digest', $1, 'q-superseded', $2, 'superseded', false, null, $3, $3, $3::timestamptz - interval '6 hours')`,
      [`${user}-quiet`, user, heldUntil],
    );
    const [batch] = await db.sql.query<{ executions_archived: number }>(`select * from archive_expired_records(now() - interval '90 days', 100)`);
    expect(batch!.executions_archived).toBe(2);
    const rows = await db.sql.query<{ period_key: string; status: string; held_until: Date | string }>(
      `select period_key, status, held_until from pipeline_executions_archive where period_key like 'q-%' order by period_key`,
    );
    expect(rows.map((row) => [row.period_key, row.status, new Date(row.held_until).toISOString()])).toEqual([
      ['q-held', 'vetoed', heldUntil.toISOString()],
      ['q-superseded', 'superseded', heldUntil.toISOString()],
    ]);
  });

  it('refuses a batch size that is not positive', async () => {
    await expect(db.sql.query(`select * from archive_expired_records(now(), 0)`)).rejects.toThrow(/p_batch_size must be a positive integer/);
  });
});
