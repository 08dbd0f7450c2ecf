import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOps } from '../../src/ops/cli.js';
import { idempotencyKeyOf } from '../../src/adapters/stripe/stripe-payments.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { fakeStripe } from '../support/fake-providers.js';
import { insertUsers } from '../support/seed.js';

let db: TestDatabase;
let stripe: Awaited<ReturnType<typeof fakeStripe>>;
let user: string;

beforeAll(async () => {
  db = await openTestDatabase();
  stripe = await fakeStripe();
  [user] = (await insertUsers(db.sql, 1, { prefix: 'credited' })) as [string];
});
afterAll(async () => {
  await stripe?.close();
  await db?.close();
});

async function ops(args: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps([...args, '--env', 'production'], env, { out: (line) => out.push(line), err: (line) => err.push(line), sql: db.sql });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const ledger = () =>
  db.sql.query<{ id: string; stripe_balance_transaction_id: string | null; status: string }>(
    `select id, stripe_balance_transaction_id, status from reward_ledger where source = 'manual' order by created_at`,
  );

describe('ops credit', () => {
  it('pays through Stripe with the ledger row as the idempotency key, once however often it is run', async () => {
    const env = { STRIPE_SECRET_KEY: 'sk_test_ops_credit_key', STRIPE_API_BASE: stripe.url };
    const args = ['credit', user, '1000', '--ticket', 'SUP-77', '--reason', 'referral reward not issued'];
    const first = await ops(args, env);
    expect(first).toMatchObject({ code: 0, out: expect.stringMatching(/credited 10\.00 USD .* transaction cbtxn_fake_1/) });
    const [row] = await ledger();
    expect(stripe.creates()).toHaveLength(1);
    expect(stripe.creates()[0]).toMatchObject({ idempotencyKey: idempotencyKeyOf(row!.id), form: { amount: '-1000', currency: 'usd', 'metadata[ledger_id]': row!.id } });
    expect(row).toMatchObject({ stripe_balance_transaction_id: 'cbtxn_fake_1', status: 'pending' });

    const again = await ops(args, env);
    expect(again).toMatchObject({ code: 0, out: expect.stringMatching(/already credited/) });
    expect(stripe.transactions).toHaveLength(1);
  });

  it('refuses, naming what is missing and writing nothing, when no Stripe key is configured for the environment', async () => {
    const result = await ops(['credit', user, '500', '--ticket', 'SUP-78', '--reason', 'goodwill'], {});
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/no Stripe key for production: set STRIPE_SECRET_KEY, or STRIPE_SECRET_KEY_SECRET_ARN/);
    expect((await ledger()).map((row) => row.id)).toHaveLength(1);
  });

  it.each(['1e3', '0x10', '10.5', '5.0', '0', '100001'])('refuses an amount of %s cents, naming it, before anything is written', async (amount) => {
    const result = await ops(['credit', user, amount, '--ticket', 'SUP-80', '--reason', 'goodwill'], {});
    expect(result).toMatchObject({ code: 2, err: `the amount in cents: must be a whole number from 1 to 100000, got ${JSON.stringify(amount)}` });
    expect((await ledger()).map((row) => row.id)).toHaveLength(1);
  });

  it.each([
    [['credit', '<user>', '-500', '--ticket', 'SUP-81', '--reason', 'goodwill'], 'the amount in cents: is negative ("-500"): must be a whole number from 1 to 100000'],
    [['credit', '<user>', '500', '--ticket', '', '--reason', 'goodwill'], '--ticket is empty: give it a value'],
    [['credit', '<user>', '500', '--ticket', 'SUP-82', '--reason', '  '], '--reason is empty: give it a value'],
    [['credit', '<user>', '500', '--reason', 'goodwill'], '--ticket is required'],
    [['credit', '<user>', '500', '--ticket', 'SUP-83', '--reason', 'goodwill', '--wait'], "Unknown option '--wait'"],
  ])('refuses %j by name, writing nothing', async (args, message) => {
    const result = await ops(args.map((word) => (word === '<user>' ? user : word)), { STRIPE_SECRET_KEY: 'sk_test_ops_credit_key', STRIPE_API_BASE: stripe.url });
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect((await ledger()).map((row) => row.id)).toHaveLength(1);
    expect(stripe.transactions).toHaveLength(1);
  });

  it('uses the local stand-in only when asked, and says that nobody is paid', async () => {
    const result = await ops(['credit', user, '500', '--ticket', 'SUP-79', '--reason', 'goodwill', '--local-payments'], {
      CURATOR_LEDGER_FILE: `/tmp/ops-credit-${process.pid}.json`,
    });
    expect(result).toMatchObject({ code: 0, out: expect.stringMatching(/^LOCAL STAND-IN: .*nobody is credited/) });
  });
});
