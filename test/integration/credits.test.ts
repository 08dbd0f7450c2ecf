import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BalanceMovement } from '../../src/curator/ports.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { curatorHarness, replayEvent, scheduledEvent, type Harness, tallyOf } from '../support/curator-harness.js';
import { insertUsers } from '../support/seed.js';

const firing = new Date('2026-11-23T01:00:00Z');

let db: TestDatabase;
let curator: Harness;
let referrers: string[];
let noStripe: string;
let referrals: string[];

async function convertedReferral(referrer: string): Promise<string> {
  const [referee] = await insertUsers(db.sql, 1, { prefix: `referee-${Math.random().toString(36).slice(2, 8)}` });
  const [row] = await db.sql.query<{ id: string }>(
    `insert into referral_tracking (referrer_id, referee_id, status, signed_up_at, converted_at, created_at)
     values ($1, $2, 'converted', $3::timestamptz - interval '3 days', $3::timestamptz - interval '2 hours', $3::timestamptz - interval '4 days')
     returning id`,
    [referrer, referee, firing],
  );
  return row!.id;
}

beforeEach(async () => {
  db = await openTestDatabase();
  referrers = await insertUsers(db.sql, 4, { prefix: 'referrer' });
  [noStripe] = (await insertUsers(db.sql, 1, { prefix: 'nostripe', withStripe: false })) as [string];
  referrals = [];
  for (const referrer of referrers) referrals.push(await convertedReferral(referrer));
  referrals.push(await convertedReferral(noStripe));
  // Not yet converted: never a candidate.
  await db.sql.query(`insert into referral_tracking (referrer_id, status) values ($1, 'signed_up'), ($1, 'pending')`, [referrers[0]]);
  curator = curatorHarness(db, { start: new Date(firing.getTime() + 60_000), pageSize: 2 });
});
afterEach(async () => {
  await db?.close();
});

const ledger = () =>
  db.sql.query<{ reference_key: string; amount: number; status: string; stripe_balance_transaction_id: string | null }>(
    `select reference_key, amount, status, stripe_balance_transaction_id from reward_ledger where source = 'referral' order by reference_key`,
  );

describe('referral rewards', () => {
  it('credits every converted referral once, in USD cents, and vetoes a referrer without a Stripe customer', async () => {
    const summary = await curator.handler(scheduledEvent('referral_rewards', firing));
    expect(tallyOf(summary)).toMatchObject({ executed: 4, creditsIssuedCents: 4_000, vetoed: { NO_PAYMENT_ACCOUNT: 1 } });
    expect(curator.payments.transactions).toHaveLength(4);
    expect(curator.payments.transactions.every((transaction) => transaction.amount === -1_000)).toBe(true);
    const rows = await ledger();
    expect(rows).toHaveLength(4);
    expect(rows.every((row) => row.status === 'pending' && row.amount === 1_000 && row.stripe_balance_transaction_id)).toBe(true);
    // The ledger id is the idempotency key Stripe saw.
    const ids = await db.sql.query<{ id: string }>(`select id from reward_ledger`);
    expect(new Set(curator.payments.transactions.map((transaction) => transaction.idempotencyKey))).toEqual(new Set(ids.map((row) => row.id)));
    const tracking = await db.sql.query<{ reward_status: string; n: number }>(
      `select reward_status, count(*)::int as n from referral_tracking where status = 'converted' group by 1 order by 1`,
    );
    expect(tracking).toEqual([
      { reward_status: 'issued', n: 4 },
      { reward_status: 'pending', n: 1 },
    ]);
    expect(curator.metrics.total('CreditsIssued')).toBe(4);
  });

  it('pays nothing twice across a replay and the next day', async () => {
    await curator.handler(scheduledEvent('referral_rewards', firing));
    await curator.handler(replayEvent({ jobType: 'referral_rewards', periodKey: '2026-11-23' }));
    curator.clock.advance(24 * 3_600_000);
    await curator.handler(scheduledEvent('referral_rewards', new Date(firing.getTime() + 24 * 3_600_000)));
    expect(curator.payments.transactions).toHaveLength(4);
    expect(await ledger()).toHaveLength(4);
  });

  it('stops at the daily credit ceiling and counts what it held back', async () => {
    curator.switches.set('all/daily-credit-ceiling-cents', '2500');
    const summary = await curator.handler(scheduledEvent('referral_rewards', firing));
    expect(tallyOf(summary)).toMatchObject({ executed: 2, vetoed: { BUDGET_EXCEEDED: 2, NO_PAYMENT_ACCOUNT: 1 } });
    expect(curator.metrics.total('BudgetExceeded')).toBe(2);
  });

  it('retries a failed credit the next day with the same idempotency key, and credits it once', async () => {
    const failing = referrals[0]!;
    const credit = curator.payments.credit;
    let declining = true;
    curator.payments.credit = async (movements: readonly BalanceMovement[]) => {
      const declined = movements.filter((movement) => declining && movement.customerId === 'cus_1');
      const outcomes = await credit(movements.filter((movement) => !declined.includes(movement)));
      return [...outcomes, ...declined.map((movement) => ({ ledgerId: movement.ledgerId, status: 'failed' as const, error: 'card_declined' }))];
    };
    const failuresBefore = curator.metrics.total('CreditFailures', { pipelineType: 'referral_rewards' });
    const first = await curator.handler(scheduledEvent('referral_rewards', firing));
    expect(tallyOf(first)).toMatchObject({ executed: 3, failed: 1 });
    // The guide's "referral reward failures" alarm reads this.
    expect(curator.metrics.total('CreditFailures', { pipelineType: 'referral_rewards' }) - failuresBefore).toBe(1);
    declining = false;
    const [failedRow] = await db.sql.query<{ id: string; status: string; error_message: string }>(
      `select id, status, error_message from reward_ledger where reference_key = $1`,
      [failing],
    );
    expect(failedRow).toMatchObject({ status: 'failed', error_message: 'card_declined' });

    const nextDay = new Date(firing.getTime() + 24 * 3_600_000);
    curator.clock.set(new Date(nextDay.getTime() + 60_000));
    await curator.handler(scheduledEvent('referral_rewards', nextDay));
    const forReferral = curator.payments.transactions.filter((transaction) => transaction.idempotencyKey === failedRow!.id);
    expect(forReferral).toHaveLength(1);
    expect((await ledger()).find((row) => row.reference_key === failing)).toMatchObject({ status: 'pending' });
  });

  it('does not call Stripe again for a credit Stripe already made but the ledger never heard back about', async () => {
    const [user] = referrers;
    const referral = referrals[0]!;
    await db.sql.query(
      `insert into reward_ledger (user_id, amount, source, status, reference_key, stripe_customer_id, stripe_balance_transaction_id)
       values ($1, 1000, 'referral', 'pending', $2, 'cus_1', 'cbtxn_already')`,
      [user, referral],
    );
    await curator.handler(scheduledEvent('referral_rewards', firing));
    expect(curator.payments.transactions).toHaveLength(3);
    const [tracking] = await db.sql.query(`select reward_status from referral_tracking where id = $1`, [referral]);
    expect(tracking).toEqual({ reward_status: 'issued' });
  });
});

describe('expire credits', () => {
  it('reverses the smaller of the expired credit and what the customer still holds, and marks it expired', async () => {
    await curator.handler(scheduledEvent('referral_rewards', firing));
    // The first referrer spent 400 of the credit on an invoice: 600 left to take back.
    curator.payments.transactions.push({ id: 'cbtxn_invoice', idempotencyKey: 'invoice-1', customerId: 'cus_1', amount: 400, description: 'invoice' });
    await db.sql.query(`update reward_ledger set expires_at = $1::timestamptz - interval '1 hour' where user_id = $2`, [firing, referrers[0]]);
    const expireAt = new Date('2026-11-23T03:00:00Z');
    curator.clock.set(new Date(expireAt.getTime() + 60_000));
    const summary = await curator.handler(scheduledEvent('expire_credits', expireAt));
    expect(tallyOf(summary)).toMatchObject({ executed: 1, creditsReversedCents: 600 });
    const rows = await db.sql.query(`select source, amount, status from reward_ledger where user_id = $1 order by amount`, [referrers[0]]);
    expect(rows).toEqual([
      { source: 'expiry', amount: -600, status: 'applied' },
      { source: 'referral', amount: 1000, status: 'expired' },
    ]);
    expect(curator.payments.transactions.at(-1)).toMatchObject({ customerId: 'cus_1', amount: 600 });
    const [credits] = await db.sql.query(`select calculate_user_credits($1) as cents`, [referrers[0]]);
    expect(credits).toEqual({ cents: 0 });
  });

  it('never takes back what an invoice already used, even when the balance holds another system\'s credit', async () => {
    await curator.handler(scheduledEvent('referral_rewards', firing));
    // An invoice took 400 of the credit (the Stripe webhook applied it to the ledger), and a credit note of 400 from
    // another system refilled the balance: Stripe holds 1,000, of which only 600 is left of the curator's credit.
    curator.payments.transactions.push({ id: 'cbtxn_invoice', idempotencyKey: 'invoice-1', customerId: 'cus_1', amount: 400, description: 'invoice' });
    curator.payments.transactions.push({ id: 'cbtxn_note', idempotencyKey: 'credit-note-1', customerId: 'cus_1', amount: -400, description: 'credit note' });
    await db.sql.query(`select curator_apply_stripe_invoice('evt_invoice_1', 'invoice.finalized', 'in_1', 'cus_1', 400, $1, $1)`, [firing]);
    await db.sql.query(`update reward_ledger set expires_at = $1::timestamptz - interval '1 hour' where user_id = $2`, [firing, referrers[0]]);
    const expireAt = new Date('2026-11-23T03:00:00Z');
    curator.clock.set(new Date(expireAt.getTime() + 60_000));
    const summary = await curator.handler(scheduledEvent('expire_credits', expireAt));
    expect(tallyOf(summary)).toMatchObject({ executed: 1, creditsReversedCents: 600 });
    expect(curator.payments.transactions.at(-1)).toMatchObject({ customerId: 'cus_1', amount: 600 });
    const rows = await db.sql.query(`select source, amount, applied_cents, status from reward_ledger where user_id = $1 order by amount`, [referrers[0]]);
    expect(rows).toEqual([
      { source: 'expiry', amount: -600, applied_cents: 0, status: 'applied' },
      { source: 'referral', amount: 1000, applied_cents: 400, status: 'expired' },
    ]);
  });
});
