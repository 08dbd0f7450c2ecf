import type { SqlClient } from '../src/db/sql-client.js';

/**
 * N families for a daily digest firing at `firing`, set-based: 80 % read in the day before (one to three stories,
 * mostly finished), 10 % only started stories (low confidence), 10 % read nothing; 2 % opted out, 1 % suppressed;
 * and the two previous digests' executions and emails; with `zones`, a third of the families in Mumbai and a third
 * in New York.
 */
export async function seedBenchPopulation(sql: SqlClient, users: number, firing: Date, options: { zones?: boolean } = {}): Promise<void> {
  await sql.query(`insert into stories (id, title) select ('00000000-0000-4000-9000-' || lpad(to_hex(n), 12, '0'))::uuid, 'Story ' || n from generate_series(1, 20) n`);
  await sql.query(
    `insert into users (id, email, first_name, stripe_customer_id)
     select ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'bench' || n || '@families.test', 'Parent', 'cus_' || n
     from generate_series(1, $1::int) n`,
    [users],
  );
  await sql.query(
    `insert into consumption_metrics (user_id, story_id, event_type, occurred_at)
     select ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
            ('00000000-0000-4000-9000-' || lpad(to_hex(1 + (n + e) % 20), 12, '0'))::uuid,
            case when n % 10 = 8 then 'started' else 'completed' end,
            $2::timestamptz - ((1 + (n * 7 + e * 3) % 1380) || ' minutes')::interval
     from generate_series(1, $1::int) n, generate_series(1, 3) e
     where n % 10 <> 9 and e <= 1 + n % 3`,
    [users, firing],
  );
  await sql.query(
    `insert into email_preferences (user_id, email_type, enabled)
     select ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'daily_digest', false from generate_series(1, $1::int) n where n % 50 = 0`,
    [users],
  );
  await sql.query(
    `insert into email_suppressions (email, reason) select 'bench' || n || '@families.test', 'bounce' from generate_series(1, $1::int) n where n % 100 = 1`,
    [users],
  );
  // Two earlier digests, as a database in production has: their rows give the planner real statistics.
  for (const daysBefore of [1, 2]) {
    await sql.query(
      `with executions as (
         insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, completed_at, started_at, created_at)
         select 'daily_digest', 'daily-digest', u.id::text, to_char($1::timestamptz - $2 * interval '1 day', 'YYYY-MM-DD'), u.id, 'succeeded',
                $1::timestamptz - $2 * interval '1 day', $1::timestamptz - $2 * interval '1 day', $1::timestamptz - $2 * interval '1 day'
         from users u where ('x' || right(u.id::text, 12))::bit(48)::bigint % 10 < 8
         returning id, user_id, created_at)
       insert into email_delivery_log (execution_id, user_id, email_type, status, queued_at, sent_at, created_at)
       select id, user_id, 'daily_digest', 'delivered', created_at, created_at, created_at from executions`,
      [firing, daysBefore],
    );
  }
  if (options.zones) {
    // Where families are: a third in Mumbai (the 20:00 UTC digest lands at 01:30 there: held), a third in New York
    // (15:00: sent), a third never placed.
    await sql.query(
      `insert into family_time_zones (user_id, time_zone, updated_at)
       select ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, case n % 3 when 0 then 'Asia/Kolkata' else 'America/New_York' end, $2
       from generate_series(1, $1::int) n where n % 3 <> 2`,
      [users, firing],
    );
  }
  await sql.exec('analyze');
}
