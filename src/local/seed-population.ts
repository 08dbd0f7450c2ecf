import type { SqlClient } from '../db/sql-client.js';
import type { LocalTransaction } from '../adapters/local/ledger-payments.js';

/** How many of each kind of fact the synthetic population holds, for the report. */
export interface SeededPopulation {
  readonly users: number;
  readonly organizations: number;
  readonly referrals: Readonly<Record<string, number>>;
  readonly expiringCredits: number;
  readonly archivable: number;
}

/**
 * Seeds a synthetic population set-based and deterministically (user n has the same traits on every run):
 * 70 % readers, 10 % lukewarm (start stories, never finish), 20 % idle; some opted out of the digest or of
 * everything, some suppressed, some without a Stripe customer, a few inactive; organisations with admins;
 * families in five time zones (a sixth unplaced); referrals in every status; credits that expire during the simulation (with their Stripe transactions, some
 * partly spent); and records older than 90 days for retention, one user on legal hold.
 */
export async function seedPopulation(
  sql: SqlClient,
  options: { users: number; start: Date; payments: { transactions: LocalTransaction[] } },
): Promise<SeededPopulation> {
  const { users, start } = options;
  const organizations = Math.max(1, Math.floor(users / 100));
  await sql.query(
    `insert into users (id, email, first_name, stripe_customer_id, is_active, created_at)
     select ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
            'family' || n || '@storytailor.test',
            (array['Ava', 'Ben', 'Chloe', 'Dev', 'Emma', 'Finn', 'Grace', 'Hugo'])[1 + n % 8],
            case when n % 20 = 0 then null else 'cus_local_' || n end,
            n % 250 <> 0,
            $2::timestamptz - interval '200 days'
     from generate_series(1, $1::int) as n`,
    [users, start],
  );
  await sql.query(
    `insert into stories (id, title)
     select ('00000000-0000-4000-9000-' || lpad(to_hex(n), 12, '0'))::uuid,
            (array['The Brave Little Owl', 'Moon Garden', 'The Lighthouse Keeper', 'Dragon Who Counted', 'Rainy Day Rescue',
                   'The Secret Library', 'Whale Song', 'Tiny Robot'])[n]
     from generate_series(1, 8) as n`,
  );
  await sql.query(
    `insert into email_preferences (user_id, email_type, enabled)
     select u.id, case when n % 97 = 0 then 'all' else 'daily_digest' end, false
     from users u, lateral (select ('x' || right(u.id::text, 12))::bit(48)::bigint as n) k
     where n % 33 = 0 or n % 97 = 0`,
  );
  await sql.query(
    `insert into email_suppressions (email, reason, user_id)
     select u.email, (array['bounce', 'spamreport', 'unsubscribe'])[1 + n % 3], u.id
     from users u, lateral (select ('x' || right(u.id::text, 12))::bit(48)::bigint as n) k
     where n % 101 = 0`,
  );
  await sql.query(
    `insert into organizations (id, name)
     select ('00000000-0000-4000-a000-' || lpad(to_hex(n), 12, '0'))::uuid, 'School ' || n from generate_series(1, $1::int) n`,
    [organizations],
  );
  await sql.query(
    `insert into organization_members (organization_id, user_id, role)
     select ('00000000-0000-4000-a000-' || lpad(to_hex(1 + n % $1), 12, '0'))::uuid, u.id,
            case when n <= $1 then 'admin' else 'member' end
     from users u, lateral (select ('x' || right(u.id::text, 12))::bit(48)::bigint as n) k
     where n <= $2::int / 5`,
    [organizations, users],
  );
  // Where families are, as the app's backend would set it: Americas, Europe, India and Australia, a sixth never
  // placed (no quiet hours), every 13th with a window of its own. Set directly, as the RPC would store it.
  await sql.query(
    `insert into family_time_zones (user_id, time_zone, quiet_start, quiet_end, updated_at)
     select u.id,
            (array['America/New_York', 'America/Los_Angeles', 'Europe/London', 'Asia/Kolkata', 'Australia/Sydney'])[1 + n % 6],
            case when n % 13 = 0 then time '22:30' end, case when n % 13 = 0 then time '06:30' end,
            $1::timestamptz - interval '30 days'
     from users u, lateral (select ('x' || right(u.id::text, 12))::bit(48)::bigint as n) k
     where n % 6 <> 5`,
    [start],
  );
  // Every 25th family referred the next one: pending, signed up or converted in turn.
  await sql.query(
    `insert into referral_tracking (referrer_id, referee_id, status, signed_up_at, converted_at, created_at)
     select u.id,
            case when (n / 25) % 3 = 0 then null else ('00000000-0000-4000-8000-' || lpad(to_hex(n + 1), 12, '0'))::uuid end,
            (array['pending', 'signed_up', 'converted'])[1 + (n / 25) % 3],
            case when (n / 25) % 3 > 0 then $1::timestamptz - interval '5 days' end,
            case when (n / 25) % 3 = 2 then $1::timestamptz - ((n % 7) || ' hours')::interval end,
            $1::timestamptz - interval '10 days'
     from users u, lateral (select ('x' || right(u.id::text, 12))::bit(48)::bigint as n) k
     where n % 25 = 0 and n + 1 <= $2`,
    [start, users],
  );
  // Credits issued 180 days ago that expire during the simulated days; every third was partly spent.
  const expiring = await sql.query<{ id: string; customer: string; n: number; txn: string }>(
    `insert into reward_ledger (user_id, amount, source, status, reference_key, stripe_customer_id,
                                stripe_balance_transaction_id, expires_at, created_at)
     select u.id, 1000, 'milestone', 'pending', 'milestone-first-week-' || n, u.stripe_customer_id,
            'cbtxn_seed_' || n, $1::timestamptz + ((n % 9) || ' days')::interval + interval '1 hour',
            $1::timestamptz - interval '180 days'
     from users u, lateral (select ('x' || right(u.id::text, 12))::bit(48)::bigint as n) k
     where n % 37 = 0 and u.stripe_customer_id is not null
     returning id, stripe_customer_id as customer, ('x' || right(user_id::text, 12))::bit(48)::bigint as n, stripe_balance_transaction_id as txn`,
    [start],
  );
  for (const credit of expiring) {
    options.payments.transactions.push({ id: credit.txn, idempotencyKey: credit.id, customerId: credit.customer, amount: -1000, description: 'Milestone credit' });
    if (credit.n % 3 === 0) {
      options.payments.transactions.push({ id: `cbtxn_invoice_${credit.n}`, idempotencyKey: `invoice-${credit.n}`, customerId: credit.customer, amount: 700, description: 'Applied to invoice' });
    }
  }
  // Records from a digest 120 days ago: retention archives them, except for the family on legal hold.
  const [archivable] = await sql.query<{ n: number }>(
    `with old as (
       insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, completed_at, created_at, started_at)
       select 'daily_digest', 'daily-digest', u.id::text, to_char($1::timestamptz - interval '120 days', 'YYYY-MM-DD'), u.id, 'succeeded',
              $1::timestamptz - interval '120 days', $1::timestamptz - interval '120 days', $1::timestamptz - interval '120 days'
       from users u, lateral (select ('x' || right(u.id::text, 12))::bit(48)::bigint as n) k
       where n % 50 = 0
       returning id, user_id, created_at),
     emails as (
       insert into email_delivery_log (execution_id, user_id, email_type, status, queued_at, sent_at, created_at)
       select id, user_id, 'daily_digest', 'delivered', created_at, created_at, created_at from old returning 1)
     select count(*)::int as n from old`,
    [start],
  );
  await sql.query(
    `insert into legal_holds (user_id, reason, placed_by)
     select id, 'Records requested in case LH-2026-11', 'legal@storytailor' from users
     where id = ('00000000-0000-4000-8000-' || lpad(to_hex(500), 12, '0'))::uuid`,
  );
  const referrals = await sql.query<{ status: string; n: number }>(`select status, count(*)::int as n from referral_tracking group by status`);
  return {
    users,
    organizations,
    referrals: Object.fromEntries(referrals.map((row) => [row.status, row.n])),
    expiringCredits: expiring.length,
    archivable: archivable?.n ?? 0,
  };
}

/**
 * A day of reading: readers finish one to three stories (sometimes replaying one), lukewarm families start
 * stories and stop, idle ones read nothing. Deterministic per day.
 */
export async function simulateReading(sql: SqlClient, day: Date): Promise<void> {
  await sql.query(
    `insert into consumption_metrics (user_id, story_id, event_type, duration_seconds, completion_pct, occurred_at)
     select u.id,
            ('00000000-0000-4000-9000-' || lpad(to_hex(1 + (k.n + e.i + d.seed) % 8), 12, '0'))::uuid,
            case when k.n % 10 = 7 then 'started'
                 when e.i = 3 then 'replayed'
                 else 'completed' end,
            300 + (k.n * 7 + e.i * 13) % 600,
            case when k.n % 10 = 7 then 20 else 100 end,
            $1::timestamptz + (((k.n * 37 + e.i * 211 + d.seed * 17) % 1380) || ' minutes')::interval
     from users u
     cross join lateral (select ('x' || right(u.id::text, 12))::bit(48)::bigint as n) k
     cross join (select extract(doy from $1::timestamptz)::int as seed) d
     cross join lateral generate_series(1, 1 + (k.n + d.seed) % 3) as e(i)
     where u.is_active and k.n % 10 <= 7 and (k.n + d.seed) % 5 <> 0`,
    [day],
  );
}
