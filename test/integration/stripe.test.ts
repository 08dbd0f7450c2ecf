import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { idempotencyKeyOf, stripePayments } from '../../src/adapters/stripe/stripe-payments.js';
import type { Payments } from '../../src/curator/ports.js';
import { curatorHarness, scheduledEvent, type Harness, tallyOf } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { fakeStripe, stripeError } from '../support/fake-providers.js';
import { insertUsers } from '../support/seed.js';

const firing = new Date('2026-11-23T01:00:00Z');
const day = 86_400_000;
const fastRetries = { attempts: 5, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50 };

let db: TestDatabase;
let stripe: Awaited<ReturnType<typeof fakeStripe>>;
let referrers: string[];

const paymentsFor = (attempts = 5) =>
  stripePayments({ apiKey: 'sk_test_curator', host: '127.0.0.1', port: stripe.port, protocol: 'http', retry: { ...fastRetries, attempts }, timeoutMs: 2_000 });

function curatorAt(at: Date, payments: Payments): Harness {
  const curator = curatorHarness(db, { start: new Date(at.getTime() + 60_000), pageSize: 2 });
  (curator.deps as { payments: Payments }).payments = payments;
  return curator;
}

async function convert(count: number) {
  referrers = await insertUsers(db.sql, count, { prefix: 'referrer' });
  for (const referrer of referrers) {
    const [referee] = await insertUsers(db.sql, 1, { prefix: `referee-${referrer.slice(0, 8)}` });
    await db.sql.query(
      `insert into referral_tracking (referrer_id, referee_id, status, signed_up_at, converted_at)
       values ($1, $2, 'converted', $3::timestamptz - interval '2 days', $3::timestamptz - interval '1 hour')`,
      [referrer, referee, firing],
    );
  }
}

beforeEach(async () => {
  db = await openTestDatabase();
  stripe = await fakeStripe();
});
afterEach(async () => {
  await stripe.close();
  await db?.close();
});

describe('referral credits through the stripe SDK', () => {
  it('credits each referrer with a negative USD balance transaction keyed by the ledger row', async () => {
    await convert(3);
    const summary = await curatorAt(firing, paymentsFor()).handler(scheduledEvent('referral_rewards', firing));
    expect(tallyOf(summary)).toMatchObject({ executed: 3, creditsIssuedCents: 3_000 });
    const ledger = await db.sql.query<{ id: string; stripe_balance_transaction_id: string }>(`select id, stripe_balance_transaction_id from reward_ledger`);
    expect(stripe.creates().map((request) => request.form)).toEqual(
      expect.arrayContaining([expect.objectContaining({ amount: '-1000', currency: 'usd', 'metadata[ledger_id]': ledger[0]!.id })]),
    );
    expect(new Set(stripe.creates().map((request) => request.idempotencyKey))).toEqual(new Set(ledger.map((row) => idempotencyKeyOf(row.id))));
    expect(new Set(ledger.map((row) => row.stripe_balance_transaction_id))).toEqual(new Set(stripe.transactions.map((transaction) => transaction.id)));
  });

  it('reaches Stripe five times with one idempotency key when the first four fail, and appears once in the ledger', async () => {
    await convert(1);
    stripe.script.push(stripeError(500), stripeError(429), stripeError(502), stripeError(503));
    const summary = await curatorAt(firing, paymentsFor()).handler(scheduledEvent('referral_rewards', firing));
    expect(tallyOf(summary).executed).toBe(1);
    const creates = stripe.creates();
    expect(creates).toHaveLength(5);
    expect(new Set(creates.map((request) => request.idempotencyKey)).size).toBe(1);
    expect(stripe.transactions).toHaveLength(1);
    expect(await db.sql.query(`select amount, status from reward_ledger`)).toEqual([{ amount: 1000, status: 'pending' }]);
  });

  it('after giving up, credits once the next day with the same key', async () => {
    await convert(1);
    stripe.script.push(stripeError(500), stripeError(500));
    const first = await curatorAt(firing, paymentsFor(2)).handler(scheduledEvent('referral_rewards', firing));
    expect(tallyOf(first).failed).toBe(1);
    expect(await db.sql.query(`select status, error_message from reward_ledger`)).toEqual([{ status: 'failed', error_message: 'Stripe 500: injected 500' }]);
    const [tracking] = await db.sql.query(`select reward_status from referral_tracking`);
    expect(tracking).toEqual({ reward_status: 'failed' });

    const nextDay = new Date(firing.getTime() + day);
    const second = await curatorAt(nextDay, paymentsFor()).handler(scheduledEvent('referral_rewards', nextDay));
    expect(tallyOf(second).executed).toBe(1);
    expect(new Set(stripe.creates().map((request) => request.idempotencyKey)).size).toBe(1);
    expect(stripe.transactions).toHaveLength(1);
    expect(await db.sql.query(`select count(*)::int as n from reward_ledger`)).toEqual([{ n: 1 }]);
  });

  it('finds a credit Stripe made but never confirmed, instead of making it again after the key is forgotten', async () => {
    await convert(1);
    stripe.lost.remaining = 1;
    const first = await curatorAt(firing, paymentsFor(1)).handler(scheduledEvent('referral_rewards', firing));
    expect(tallyOf(first).failed).toBe(1);
    expect(stripe.transactions).toHaveLength(1);

    const later = new Date(firing.getTime() + 3 * day);
    const second = await curatorAt(later, paymentsFor()).handler(scheduledEvent('referral_rewards', later));
    expect(tallyOf(second).executed).toBe(1);
    expect(stripe.transactions).toHaveLength(1);
    expect(stripe.creates()).toHaveLength(1);
    const [ledger] = await db.sql.query(`select status, stripe_balance_transaction_id from reward_ledger`);
    expect(ledger).toEqual({ status: 'pending', stripe_balance_transaction_id: stripe.transactions[0]!.id });
  });

  it('reverses an expired credit by what the customer still holds, as a positive balance transaction', async () => {
    await convert(1);
    await curatorAt(firing, paymentsFor()).handler(scheduledEvent('referral_rewards', firing));
    const [customer] = await db.sql.query<{ stripe_customer_id: string }>(`select stripe_customer_id from users where id = $1`, [referrers[0]]);
    stripe.balances.set(customer!.stripe_customer_id, -250);
    await db.sql.query(`update reward_ledger set expires_at = $1`, [new Date(firing.getTime() + day)]);
    const expiry = new Date(firing.getTime() + 2 * day + 2 * 3_600_000);
    const summary = await curatorAt(expiry, paymentsFor()).handler(scheduledEvent('expire_credits', expiry));
    expect(tallyOf(summary)).toMatchObject({ executed: 1, creditsReversedCents: 250 });
    expect(stripe.creates().at(-1)!.form).toMatchObject({ amount: '250', currency: 'usd' });
    expect(await db.sql.query(`select source, amount, status from reward_ledger order by amount`)).toEqual([
      { source: 'expiry', amount: -250, status: 'applied' },
      { source: 'referral', amount: 1000, status: 'expired' },
    ]);
  });
});

describe('the spend guard against real money', () => {
  it('holds the daily ceiling when two credit runs race', async () => {
    await convert(6);
    const ceiling = { 'all/daily-credit-ceiling-cents': '2500' };
    const a = curatorAt(firing, paymentsFor());
    const b = curatorAt(firing, paymentsFor());
    for (const curator of [a, b]) for (const [key, value] of Object.entries(ceiling)) curator.switches.set(key, value);
    // Two runs of different periods, both finding the same six conversions unrewarded.
    const [one, two] = await Promise.all([
      a.handler(scheduledEvent('referral_rewards', firing)),
      b.handler({ source: 'storytailor.manual', 'detail-type': 'retry', detail: { jobType: 'referral_rewards', retry: true, periodKey: '2026-11-22' } }),
    ]);
    const executed = tallyOf(one).executed + tallyOf(two).executed;
    expect(executed).toBe(2);
    const skippedOrHeld = [one, two].reduce((sum, summary) => sum + tallyOf(summary).skipped + (tallyOf(summary).vetoed.BUDGET_EXCEEDED ?? 0), 0);
    expect(skippedOrHeld).toBeGreaterThan(0);
    const [issued] = await db.sql.query<{ cents: number }>(`select coalesce(sum(amount), 0)::int as cents from reward_ledger where status <> 'failed'`);
    expect(issued!.cents).toBe(2_000);
    expect(stripe.transactions.reduce((sum, transaction) => sum - transaction.amount, 0)).toBe(2_000);
  });
});

describe('what ops reads of a customer through the stripe SDK', () => {
  const unix = (iso: string) => Date.parse(iso) / 1_000;

  it('answers the credit balance, and the next invoice as the earliest renewal among the subscriptions that renew', async () => {
    stripe.balances.set('cus_reader', -400);
    stripe.subscriptions.set('cus_reader', [
      { id: 'sub_plan', status: 'active', periodEnds: [unix('2027-01-14T06:00:00Z'), unix('2027-02-01T00:00:00Z')] },
      { id: 'sub_ending', status: 'active', cancel_at_period_end: true, periodEnds: [unix('2027-01-03T00:00:00Z')] },
      { id: 'sub_gone', status: 'canceled', periodEnds: [unix('2027-01-02T00:00:00Z')] },
    ]);
    const payments = paymentsFor();
    expect(await payments.creditBalances(['cus_reader'])).toEqual(new Map([['cus_reader', 400]]));
    expect(await payments.upcomingInvoiceAt('cus_reader')).toEqual(new Date('2027-01-14T06:00:00Z'));
    expect(stripe.requests.filter((request) => request.path === '/v1/subscriptions')).toHaveLength(1);
  });

  it('answers no upcoming invoice when no subscription renews', async () => {
    stripe.subscriptions.set('cus_leaving', [{ id: 'sub_last', status: 'active', cancel_at_period_end: true, periodEnds: [unix('2027-01-03T00:00:00Z')] }]);
    expect(await paymentsFor().upcomingInvoiceAt('cus_leaving')).toBeNull();
    expect(await paymentsFor().upcomingInvoiceAt('cus_nothing')).toBeNull();
  });

  it('retries a failing read as it retries a credit', async () => {
    stripe.script.push(stripeError(503));
    stripe.subscriptions.set('cus_retry', [{ id: 'sub_plan', status: 'trialing', periodEnds: [unix('2027-01-20T00:00:00Z')] }]);
    expect(await paymentsFor().upcomingInvoiceAt('cus_retry')).toEqual(new Date('2027-01-20T00:00:00Z'));
  });
});
