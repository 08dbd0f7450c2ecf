import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { insertUsers } from '../support/seed.js';

/** The SQL blocks of a markdown file, in order. */
async function sqlBlocks(file: string): Promise<string[]> {
  const text = await readFile(new URL(`../../${file}`, import.meta.url), 'utf8');
  return [...text.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) => match[1]!.replace(/^ {3}/gm, '').trim());
}

// The two queries the guides carry that cannot run on a plain Postgres (runbooks/database-queries.md says why).
const needsHostedExtension = (query: string) => query.includes('pg_stat_statements');
const namesMissingColumns = (query: string) => query.includes('pg_stat_user_indexes') && query.includes('tablename LIKE');

let db: TestDatabase;
let userId: string;

const withUser = (query: string) => query.replaceAll(/'USER_ID'|'user_id'/g, `'${userId}'`);

beforeAll(async () => {
  db = await openTestDatabase();
  [userId] = (await insertUsers(db.sql, 3, { prefix: 'guide' })) as [string];
  const [referee1, referee2] = await insertUsers(db.sql, 2, { prefix: 'referee' });
  await db.sql.exec(`
    insert into pipeline_executions
      (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason,
       confidence_score, signal_count, trigger_data, started_at, completed_at, created_at)
    values
      ('daily_digest', 'daily-digest', '${userId}', '2026-11-22', '${userId}', 'succeeded', false, null, 0.8, 4, '{}',
       now() - interval '2 hours', now() - interval '2 hours' + interval '1 second', now() - interval '2 hours'),
      ('daily_digest', 'daily-digest', '${userId}', '2026-11-21', '${userId}', 'vetoed', true, 'LOW_CONFIDENCE', 0.2, 1, '{}',
       now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours'),
      ('crisis_alert', 'crisis-alert', '${userId}', 'signal-1', '${userId}', 'escalated', true, 'SLA_MISSED', 0.97, 1,
       jsonb_build_object('event_timestamp', to_char(now() - interval '70 minutes', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
       now() - interval '60 minutes', now() - interval '60 minutes', now() - interval '60 minutes'),
      ('crisis_alert', 'crisis-alert', '${userId}', 'signal-2', '${userId}', 'succeeded', false, null, 0.99, 1,
       jsonb_build_object('event_timestamp', to_char(now() - interval '31 minutes', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
       now() - interval '30 minutes', now() - interval '30 minutes', now() - interval '30 minutes'),
      ('early_intervention', 'early-intervention', '${userId}', 'signal-3', '${userId}', 'vetoed', true, 'FREQUENCY_CAP', 0.9, 4,
       jsonb_build_object('event_timestamp', to_char(now() - interval '10 minutes', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
       now() - interval '9 minutes', now() - interval '9 minutes', now() - interval '9 minutes');

    insert into email_delivery_log (user_id, email_type, status, provider_message_id, queued_at, sent_at, created_at)
    values
      ('${userId}', 'daily_digest', 'opened', 'msg-1', now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours'),
      ('${userId}', 'daily_digest', 'clicked', 'msg-2', now() - interval '26 hours', now() - interval '26 hours', now() - interval '26 hours'),
      ('${userId}', 'crisis_alert', 'delivered', 'msg-3', now() - interval '30 minutes', now() - interval '30 minutes', now() - interval '30 minutes'),
      ('${userId}', 'early_intervention', 'failed', null, now() - interval '5 hours', null, now() - interval '5 hours');

    insert into reward_ledger (user_id, amount, source, status, reference_key, stripe_customer_id, expires_at, created_at)
    values
      ('${userId}', 1000, 'referral', 'pending', 'referral-a', 'cus_1', now() + interval '180 days', now() - interval '1 day'),
      ('${userId}', 1000, 'referral', 'applied', 'referral-b', 'cus_1', now() + interval '170 days', now() - interval '10 days'),
      ('${userId}', 500, 'milestone', 'pending', 'milestone-10-stories', 'cus_1', null, now() - interval '2 days');

    insert into referral_tracking (referrer_id, referee_id, status, reward_status, signed_up_at, converted_at, created_at)
    values
      ('${userId}', '${referee1}', 'converted', 'issued', now() - interval '5 days', now() - interval '2 days', now() - interval '6 days'),
      ('${userId}', '${referee2}', 'signed_up', 'pending', now() - interval '3 days', null, now() - interval '4 days'),
      ('${userId}', null, 'pending', 'pending', null, null, now() - interval '1 day');

    insert into human_overrides (pipeline_type, override_type, actor, reason, occurred_at)
    values
      ('daily_digest', 'kill_switch_disable', 'ops@storytailor', 'unsubscribe spike', now() - interval '3 days'),
      ('daily_digest', 'kill_switch_enable', 'ops@storytailor', 'fix verified in staging', now() - interval '2 days');

    insert into pipeline_runs (job_type, period_key, trigger, status, lease_owner, lease_expires_at, started_at, completed_at)
    values ('daily_digest', '2026-11-22', 'schedule', 'succeeded', null, null, now() - interval '2 hours', now() - interval '2 hours'),
           ('referral_rewards', '2026-11-23', 'schedule', 'running', 'lambda-1', now() - interval '1 minute', now() - interval '20 minutes', null);

    insert into email_suppressions (email, reason, user_id) select email, 'bounce', id from users where id = '${userId}';
  `);
});
afterAll(async () => {
  await db?.close();
});

describe("the guides' SQL", () => {
  it('is all found: 20 queries, two of which cannot run on a plain Postgres', async () => {
    const queries = [
      ...(await sqlBlocks('docs/guides/operations-guide.md')),
      ...(await sqlBlocks('docs/guides/monitoring-guide.md')),
    ];
    expect(queries).toHaveLength(20);
    expect(queries.filter((query) => needsHostedExtension(query) || namesMissingColumns(query))).toHaveLength(2);
  });

  it.each(['docs/guides/operations-guide.md', 'docs/guides/monitoring-guide.md'])(
    'runs every query of %s over the seeded rows and finds them',
    async (guide) => {
      for (const query of await sqlBlocks(guide)) {
        if (needsHostedExtension(query) || namesMissingColumns(query)) continue;
        const rows = await db.sql.query(withUser(query)).catch((error: Error) => {
          throw new Error(`${error.message}\n--- in query ---\n${query}`);
        });
        expect(rows.length, query).toBeGreaterThan(0);
      }
    },
  );

  it('fails the index-usage query as written, for the reason the runbook gives', async () => {
    const query = (await sqlBlocks('docs/guides/monitoring-guide.md')).find(namesMissingColumns)!;
    await expect(db.sql.query(query)).rejects.toThrow(/column "tablename" does not exist/);
  });

  it('answers the weekly veto review with the seeded vetoes', async () => {
    const [query] = await sqlBlocks('docs/guides/operations-guide.md');
    const rows = await db.sql.query<{ pipeline_type: string; veto_reason: string; count: number }>(query!);
    expect(rows).toEqual(
      expect.arrayContaining([
        { pipeline_type: 'daily_digest', veto_reason: 'LOW_CONFIDENCE', count: 1 },
        { pipeline_type: 'crisis_alert', veto_reason: 'SLA_MISSED', count: 1 },
        { pipeline_type: 'early_intervention', veto_reason: 'FREQUENCY_CAP', count: 1 },
      ]),
    );
  });

  it('measures the crisis SLA delay from trigger_data.event_timestamp', async () => {
    const query = (await sqlBlocks('docs/guides/monitoring-guide.md')).find((q) => q.includes('avg_delay_minutes'))!;
    const rows = await db.sql.query<{ pipeline_type: string; avg_delay_minutes: number }>(query);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.pipeline_type).toBe('crisis_alert');
    expect(rows[0]!.avg_delay_minutes).toBeCloseTo(10, 1);
  });

  it('shows the referral funnel of the seeded referrals', async () => {
    const query = (await sqlBlocks('docs/guides/monitoring-guide.md')).find((q) => q.includes('WITH funnel'))!;
    const [funnel] = await db.sql.query(query);
    expect(funnel).toMatchObject({ total_referrals: 3, signups: 1, conversions: 1, rewards_issued: 1 });
  });
});

describe("the runbooks' SQL", () => {
  it('runs every query of runbooks/database-queries.md', async () => {
    const queries = await sqlBlocks('runbooks/database-queries.md');
    expect(queries.length).toBeGreaterThanOrEqual(7);
    for (const query of queries) {
      await db.sql.query(withUser(query)).catch((error: Error) => {
        throw new Error(`${error.message}\n--- in query ---\n${query}`);
      });
    }
  });

  it('finds the stuck run, the escalated crisis alert and the suppression', async () => {
    const queries = await sqlBlocks('runbooks/database-queries.md');
    const run = (marker: string) => db.sql.query(withUser(queries.find((q) => q.includes(marker))!));
    expect(await run('lease_expires_at < NOW()')).toMatchObject([{ job_type: 'referral_rewards', lease_owner: 'lambda-1' }]);
    expect(await run("status = 'escalated'")).toMatchObject([{ signal_id: 'signal-1', veto_reason: 'SLA_MISSED' }]);
    expect(await run('suppressed_because')).toMatchObject([{ id: userId, suppressed_because: 'bounce' }]);
    expect(await run('calculate_user_credits')).toEqual([{ calculate_user_credits: 1500 }]);
  });
});
