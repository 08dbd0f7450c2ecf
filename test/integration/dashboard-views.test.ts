import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CuratorStore } from '../../src/store/curator-store.js';
import { storeFunctions } from '../../src/store/functions.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { curatorHarness, scheduledEvent } from '../support/curator-harness.js';
import { asRole, openTestDatabase, type TestDatabase } from '../support/database.js';
import { seedDigestPopulation } from '../support/population.js';
import { insertUsers } from '../support/seed.js';

const views = ['email_performance_daily', 'email_open_rate_by_type', 'email_unsubscribe_trend', 'credits_issued_daily', 'credits_applied_daily', 'referral_conversion_daily'];
const firing = new Date('2026-11-23T20:00:00Z');
let db: TestDatabase;
let eventNumber = 0;

const numbers = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value]));

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDigestPopulation(db.sql, firing, { engaged: 10, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
  await curatorHarness(db, { start: new Date(firing.getTime() + 1_000) }).handler(scheduledEvent('daily_digest', firing));
  const sent = await db.sql.query<{ execution_id: string }>(`select execution_id from email_delivery_log order by execution_id`);
  expect(sent).toHaveLength(10);
  // Eight delivered, one bounced, one never reported; four opened (one of them three times), one clicked,
  // one unsubscribed and then reported as spam.
  const at = Math.floor(firing.getTime() / 1_000) + 600;
  const event = (index: number, kind: string, extra: Record<string, unknown> = {}) => {
    eventNumber += 1;
    return { sg_event_id: `view-${eventNumber}`, event: kind, email: null, execution_id: sent[index]!.execution_id, sg_message_id: null, timestamp: at + eventNumber, type: null, ...extra };
  };
  const events = [
    ...[0, 1, 2, 3, 4, 5, 6, 7].map((index) => event(index, 'delivered')),
    event(8, 'bounce', { type: 'bounce' }),
    event(0, 'open'),
    event(0, 'open'),
    event(0, 'open'),
    event(1, 'open'),
    event(2, 'open'),
    event(3, 'open'),
    event(3, 'click'),
    event(4, 'unsubscribe'),
    event(4, 'spamreport'),
  ];
  await new CuratorStore(sqlTransport(db.sql)).call(storeFunctions.applyEmailEvents, { events, now: new Date(firing.getTime() + 3_600_000) });

  const [referrer, first, second, third] = await insertUsers(db.sql, 4, { prefix: 'view-referral' });
  await db.sql.query(
    `insert into referral_tracking (referrer_id, referee_id, status, reward_status, signed_up_at, converted_at, created_at) values
       ($1, $2, 'converted', 'issued', $5::timestamptz, $5::timestamptz, $5::timestamptz),
       ($1, $3, 'signed_up', 'pending', $5::timestamptz, null, $5::timestamptz),
       ($1, $4, 'pending', 'pending', null, null, $5::timestamptz)`,
    [referrer, first, second, third, '2026-11-20T10:00:00Z'],
  );
  await db.sql.query(
    `insert into reward_ledger (user_id, amount, source, status, reference_key, created_at) values
       ($1, 1000, 'referral', 'pending', 'view-a', '2026-11-21T01:00:00Z'),
       ($1, 1000, 'referral', 'applied', 'view-b', '2026-11-21T01:00:05Z'),
       ($1, 1000, 'referral', 'failed', 'view-c', '2026-11-21T01:00:09Z'),
       ($1, 500, 'manual', 'pending', 'view-d', '2026-11-21T14:00:00Z'),
       ($1, -1000, 'expiry', 'expired', 'view-e', '2026-11-21T03:00:00Z')`,
    [referrer],
  );
});
afterAll(async () => {
  await db?.close();
});

describe("the guide's dashboard views", () => {
  it('give email volume and each rate by day and type, counting every message once', async () => {
    const rows = (await db.sql.query(`select * from email_performance_daily`)).map(numbers);
    expect(rows).toEqual([
      {
        day: expect.anything(),
        email_type: 'daily_digest',
        sent: 10,
        delivered: 8,
        opened: 4,
        clicked: 1,
        bounced: 1,
        unsubscribed: 1,
        spam_reported: 1,
        open_rate: 50,
        click_rate: 12.5,
        unsubscribe_rate: 12.5,
        bounce_rate: 10,
      },
    ]);
    expect(String((await db.sql.query<{ day: unknown }>(`select day::text as day from email_performance_daily`))[0]!.day)).toBe('2026-11-23');
  });

  it('give the open rate by type and the unsubscribe trend', async () => {
    // The open rate reads the last 30 days of now(): seen with the sends dated a day and 31 days ago, then undone.
    const openRateIfSent = async (daysAgo: number) => {
      let rows: Array<Record<string, unknown>> = [];
      await db.sql
        .transaction(async (tx) => {
          await tx.query(`update email_delivery_log set sent_at = now() - make_interval(days => $1)`, [daysAgo]);
          rows = await tx.query(`select email_type, sent, delivered, opened, open_rate from email_open_rate_by_type`);
          throw new Error('undo');
        })
        .catch((error: Error) => expect(error.message).toBe('undo'));
      return rows.map(numbers);
    };
    expect(await openRateIfSent(1)).toEqual([{ email_type: 'daily_digest', sent: 10, delivered: 8, opened: 4, open_rate: 50 }]);
    expect(await openRateIfSent(31)).toEqual([]);
    expect((await db.sql.query(`select day::text as day, sent, unsubscribed, unsubscribe_rate from email_unsubscribe_trend`)).map(numbers)).toEqual([
      { day: '2026-11-23', sent: 10, unsubscribed: 1, unsubscribe_rate: 10 },
    ]);
  });

  it('give the credits issued by day and source, without failed credits or expiry reversals', async () => {
    const rows = (await db.sql.query(`select day::text as day, source, credits, total_usd from credits_issued_daily order by source`)).map(numbers);
    expect(rows).toEqual([
      { day: '2026-11-21', source: 'manual', credits: 1, total_usd: 5 },
      { day: '2026-11-21', source: 'referral', credits: 2, total_usd: 20 },
    ]);
  });

  it('give the credits Stripe invoices took by day and source, a credit taken over two invoices counted on each day', async () => {
    const [referrer] = await insertUsers(db.sql, 1, { prefix: 'view-applied' });
    await db.sql.query(
      `insert into reward_ledger (user_id, amount, source, status, reference_key, stripe_customer_id, stripe_balance_transaction_id, created_at) values
         ($1, 1000, 'referral', 'pending', 'view-applied-a', 'cus_view_applied', 'cbtxn_view_a', '2026-11-01T01:00:00Z'),
         ($1, 500, 'manual', 'pending', 'view-applied-b', 'cus_view_applied', 'cbtxn_view_b', '2026-11-02T01:00:00Z')
`,
      [referrer],
    );
    const apply = (event: string, invoice: string, cents: number, at: string) =>
      db.sql.query(`select curator_apply_stripe_invoice($1, 'invoice.finalized', $2, 'cus_view_applied', $3, $4, $4)`, [event, invoice, cents, at]);
    await apply('evt_view_1', 'in_view_1', 600, '2026-12-01T06:00:00Z');
    await apply('evt_view_2', 'in_view_2', 700, '2027-01-01T06:00:00Z');
    const rows = (await db.sql.query(`select day::text as day, source, credits, total_usd from credits_applied_daily order by day, source`)).map(numbers);
    expect(rows).toEqual([
      { day: '2026-12-01', source: 'referral', credits: 1, total_usd: 6 },
      { day: '2027-01-01', source: 'manual', credits: 1, total_usd: 3 },
      { day: '2027-01-01', source: 'referral', credits: 1, total_usd: 4 },
    ]);
  });

  it('give the referral funnel and conversion rate by day', async () => {
    const rows = (await db.sql.query(`select day::text as day, referrals, signed_up, converted, rewarded, conversion_rate from referral_conversion_daily`)).map(numbers);
    expect(rows).toEqual([{ day: '2026-11-20', referrals: 3, signed_up: 2, converted: 1, rewarded: 1, conversion_rate: 33.3 }]);
  });

  it('are security_invoker, so they never show what row level security hides', async () => {
    const options = await db.sql.query<{ relname: string; reloptions: string[] | null }>(
      `select relname, reloptions from pg_class where relkind = 'v' and relnamespace = 'public'::regnamespace and relname = any($1) order by relname`,
      [views],
    );
    expect(options.map((row) => row.relname)).toEqual([...views].sort());
    for (const row of options) expect(row.reloptions, row.relname).toContain('security_invoker=true');
  });

  it.each(['anon', 'authenticated'])('cannot be read by %s', async (role) => {
    for (const view of views) {
      expect((await asRole(db.sql, role, `select * from public.${view} limit 1`))?.message, view).toMatch(/permission denied/);
    }
  });

  it('can be read by the service role', async () => {
    for (const view of views) expect(await asRole(db.sql, 'service_role', `select * from public.${view} limit 1`), view).toBeNull();
  });
});
