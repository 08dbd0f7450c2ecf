import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/adapters/clock.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';
import type { FunctionUrlEvent } from '../../src/handlers/function-url.js';
import { createStripeWebhookHandler } from '../../src/handlers/stripe-webhook.js';
import { stripePayments } from '../../src/adapters/stripe/stripe-payments.js';
import { runOps } from '../../src/ops/cli.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { insertUsers } from '../support/seed.js';
import { fakeStripe } from '../support/fake-providers.js';

const secret = 'whsec_test_storytailor_endpoint';
const now = new Date('2027-01-01T09:00:00Z');
const clock = manualClock(now);
const metrics = memoryMetrics();
const logger = memoryLogger();

let db: TestDatabase;
let webhook: ReturnType<typeof createStripeWebhookHandler>;
let family: string;
let customer: string;
let eventNumber = 0;

/** A delivery as Stripe signs it, with the Stripe SDK's own test header (so the check is Stripe's code, not ours). */
function delivery(body: object, options: { secret?: string; timestamp?: number; signature?: string | null } = {}): FunctionUrlEvent {
  const payload = JSON.stringify(body);
  const timestamp = options.timestamp ?? Math.floor(clock.now().getTime() / 1_000);
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? secret, timestamp });
  return {
    requestContext: { http: { method: 'POST' } },
    headers: { 'content-type': 'application/json', ...(options.signature === null ? {} : { 'Stripe-Signature': options.signature ?? header }) },
    body: payload,
  };
}

/** An invoice event: the invoice took `startingBalance − endingBalance` of the customer's (negative) credit balance. */
function invoiceEvent(type: string, invoice: string, balances: { starting: number; ending: number }, options: { id?: string; customer?: string } = {}) {
  eventNumber += 1;
  return {
    id: options.id ?? `evt_test_${eventNumber}`,
    object: 'event',
    type,
    created: Math.floor(clock.now().getTime() / 1_000) - 60,
    api_version: '2025-01-27.acacia',
    livemode: false,
    data: { object: { id: invoice, object: 'invoice', customer: options.customer ?? customer, starting_balance: balances.starting, ending_balance: balances.ending, status: 'open' } },
  };
}

/** Issues a credit as the referral pipeline leaves it: pending on the balance, with its Stripe transaction. */
async function issuedCredit(cents: number, daysAgo: number, source = 'referral'): Promise<string> {
  const [row] = await db.sql.query<{ id: string }>(
    `insert into reward_ledger (user_id, amount, source, status, reference_key, stripe_customer_id, stripe_balance_transaction_id, expires_at, created_at, updated_at)
     values ($1, $2, $3, 'pending', gen_random_uuid()::text, $4, 'cbtxn_' || gen_random_uuid(), $5::timestamptz + interval '180 days',
             $5::timestamptz - $6 * interval '1 day', $5::timestamptz - $6 * interval '1 day')
     returning id`,
    [family, cents, source, customer, now, daysAgo],
  );
  return row!.id;
}

const ledger = async (id: string) =>
  (await db.sql.query<{ status: string; applied_cents: number; stripe_invoice_id: string | null; applied_at: Date | null }>(
    'select status, applied_cents, stripe_invoice_id, applied_at from reward_ledger where id = $1',
    [id],
  ))[0]!;
const count = async (table: string) => (await db.sql.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

beforeAll(async () => {
  db = await openTestDatabase();
  webhook = createStripeWebhookHandler(async () => ({ store: new CuratorStore(sqlTransport(db.sql)), metrics, logger, clock, signingSecret: secret }));
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  // A family of its own for each test, credited through Stripe customer cus_<n>.
  const prefix = `stripe-${eventNumber}-${Math.random().toString(36).slice(2, 8)}`;
  [family] = (await insertUsers(db.sql, 1, { prefix })) as [string];
  customer = `cus_${prefix}`;
  await db.sql.query('update users set stripe_customer_id = $2 where id = $1', [family, customer]);
  metrics.points.length = 0;
});

describe('the Stripe webhook', () => {
  it('applies a referral credit in full when an invoice takes it from the balance, and counts it', async () => {
    const credit = await issuedCredit(1_000, 10);
    const answer = await webhook(delivery(invoiceEvent('invoice.finalized', 'in_full_1', { starting: -1_000, ending: 0 })));
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'applied' });
    expect(await ledger(credit)).toMatchObject({ status: 'applied', applied_cents: 1_000, stripe_invoice_id: 'in_full_1' });
    expect((await ledger(credit)).applied_at).not.toBeNull();
    expect(metrics.total('CreditsApplied')).toBe(1);
    expect(metrics.total('CreditsAppliedCents')).toBe(1_000);
  });

  it('applies a credit in part over two invoices, oldest credit first, and leaves the rest pending', async () => {
    const older = await issuedCredit(1_000, 20);
    const newer = await issuedCredit(1_000, 5);
    // January's invoice of $6 takes 600 of the 2,000 credit; February's of $8 takes 400 + 400.
    await webhook(delivery(invoiceEvent('invoice.finalized', 'in_part_1', { starting: -2_000, ending: -1_400 })));
    expect(await ledger(older)).toMatchObject({ status: 'pending', applied_cents: 600, stripe_invoice_id: null });
    expect(await ledger(newer)).toMatchObject({ status: 'pending', applied_cents: 0 });
    await webhook(delivery(invoiceEvent('invoice.finalized', 'in_part_2', { starting: -1_400, ending: -600 })));
    expect(await ledger(older)).toMatchObject({ status: 'applied', applied_cents: 1_000, stripe_invoice_id: 'in_part_2' });
    expect(await ledger(newer)).toMatchObject({ status: 'pending', applied_cents: 400 });
    // What the family still holds of the curator's credits: what the balance shows after February's invoice.
    const [held] = await db.sql.query<{ cents: string }>('select calculate_user_credits($1, $2) as cents', [family, now]);
    expect(Number(held!.cents)).toBe(600);
    expect(metrics.total('CreditsAppliedCents')).toBe(1_400);
    expect(metrics.total('CreditsApplied')).toBe(1);
  });

  it('never attributes to the curator more than it issued: the rest of the balance was other systems\'', async () => {
    const credit = await issuedCredit(500, 3);
    // A credit note of $20 beside the curator's $5: the invoice took $15 of the $25 balance.
    await webhook(delivery(invoiceEvent('invoice.finalized', 'in_mixed', { starting: -2_500, ending: -1_000 })));
    expect(await ledger(credit)).toMatchObject({ status: 'applied', applied_cents: 500 });
    const [invoice] = await db.sql.query('select balance_applied_cents, curator_cents from stripe_invoices where id = $1', ['in_mixed']);
    expect(invoice).toMatchObject({ balance_applied_cents: 1_500, curator_cents: 500 });
  });

  it('counts a delivery twice, and the invoice\'s paid event after its finalized one, once', async () => {
    const credit = await issuedCredit(1_000, 10);
    const finalized = invoiceEvent('invoice.finalized', 'in_twice', { starting: -1_000, ending: -400 });
    expect(JSON.parse((await webhook(delivery(finalized))).body)).toMatchObject({ outcome: 'applied' });
    expect(JSON.parse((await webhook(delivery(finalized))).body)).toMatchObject({ outcome: 'duplicate' });
    const paid = invoiceEvent('invoice.paid', 'in_twice', { starting: -1_000, ending: -400 });
    expect(JSON.parse((await webhook(delivery(paid))).body)).toMatchObject({ outcome: 'already_applied' });
    expect(await ledger(credit)).toMatchObject({ status: 'pending', applied_cents: 600 });
    expect(metrics.total('CreditsAppliedCents')).toBe(600);
  });

  it('applies an invoice once when its paid event comes before its finalized one', async () => {
    const credit = await issuedCredit(1_000, 10);
    await webhook(delivery(invoiceEvent('invoice.paid', 'in_out_of_order', { starting: -1_000, ending: 0 })));
    await webhook(delivery(invoiceEvent('invoice.finalized', 'in_out_of_order', { starting: -1_000, ending: 0 })));
    expect(await ledger(credit)).toMatchObject({ status: 'applied', applied_cents: 1_000 });
    expect(metrics.total('CreditsApplied')).toBe(1);
    expect(await count("reward_applications where invoice_id = 'in_out_of_order'")).toBe(1);
  });

  it('gives a voided invoice\'s credit back, and a void that comes first keeps the late finalized event from applying', async () => {
    const credit = await issuedCredit(1_000, 10);
    await webhook(delivery(invoiceEvent('invoice.finalized', 'in_voided', { starting: -1_000, ending: 0 })));
    expect(JSON.parse((await webhook(delivery(invoiceEvent('invoice.voided', 'in_voided', { starting: -1_000, ending: 0 })))).body)).toMatchObject({ outcome: 'returned' });
    expect(await ledger(credit)).toMatchObject({ status: 'pending', applied_cents: 0, stripe_invoice_id: null });
    expect(metrics.total('CreditsApplied')).toBe(0);

    await webhook(delivery(invoiceEvent('invoice.voided', 'in_void_first', { starting: -1_000, ending: 0 })));
    expect(JSON.parse((await webhook(delivery(invoiceEvent('invoice.finalized', 'in_void_first', { starting: -1_000, ending: 0 })))).body)).toMatchObject({
      outcome: 'voided_before',
    });
    expect(await ledger(credit)).toMatchObject({ status: 'pending', applied_cents: 0 });
  });

  it('refuses a forged, an unsigned and a stale delivery with 400, writes nothing, and counts each for the alarm', async () => {
    const credit = await issuedCredit(1_000, 10);
    const events = await count('stripe_webhook_events');
    const body = invoiceEvent('invoice.finalized', 'in_forged', { starting: -1_000, ending: 0 });
    const forged = await webhook(delivery(body, { secret: 'whsec_someone_else' }));
    const unsigned = await webhook(delivery(body, { signature: null }));
    const stale = await webhook(delivery(body, { timestamp: Math.floor(now.getTime() / 1_000) - 301 }));
    const tampered = { ...delivery(body), body: JSON.stringify({ ...body, data: { object: { ...body.data.object, starting_balance: -9_000 } } }) };
    for (const refused of [forged, unsigned, stale, await webhook(tampered)]) {
      expect(refused.statusCode).toBe(400);
      expect(JSON.parse(refused.body).error).toMatch(/signed|Stripe-Signature/);
    }
    expect(await count('stripe_webhook_events')).toBe(events);
    expect(await ledger(credit)).toMatchObject({ status: 'pending', applied_cents: 0 });
    expect(metrics.total('StripeWebhookRefused')).toBe(4);
    expect(metrics.total('CreditsApplied')).toBe(0);
  });

  it('acknowledges an event for a customer the curator never credited, counts it, and changes nothing', async () => {
    const answer = await webhook(delivery(invoiceEvent('invoice.finalized', 'in_stranger', { starting: -1_000, ending: 0 }, { customer: 'cus_not_ours' })));
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'unknown_customer' });
    expect(metrics.total('StripeEventsIgnored')).toBe(1);
    expect(await count("stripe_invoices where id = 'in_stranger'")).toBe(0);
  });

  it('acknowledges an event type it does not read', async () => {
    const answer = await webhook(delivery({ ...invoiceEvent('customer.updated', 'in_none', { starting: 0, ending: 0 }), data: { object: { id: customer, object: 'customer' } } }));
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'ignored' });
  });
});

describe("ops family answers 'referral reward not applied' alone", () => {
  /** `ops family` with Stripe reached through the SDK at a local Stripe; no AWS here (the caps show their defaults). */
  async function opsFamily(stripe: Awaited<ReturnType<typeof fakeStripe>>, ...extra: string[]) {
    const out: string[] = [];
    const payments = stripePayments({ apiKey: 'sk_test_ops', host: '127.0.0.1', port: stripe.port, protocol: 'http', timeoutMs: 2_000 });
    const code = await runOps(['family', family, ...extra, '--env', 'staging'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }, {
      out: (line) => out.push(line),
      err: () => undefined,
      sql: db.sql,
      clock,
      payments,
    });
    return { code, out: out.join('\n') };
  }

  it('shows what each invoice took, the live balance, the next invoice, and the deliveries the webhook received', async () => {
    const stripe = await fakeStripe();
    try {
      await issuedCredit(1_000, 20);
      await webhook(delivery(invoiceEvent('invoice.finalized', 'in_ops_1', { starting: -1_000, ending: -400 }, { id: 'evt_ops_1' })));
      stripe.balances.set(customer, -400);
      stripe.subscriptions.set(customer, [{ id: 'sub_plan', status: 'active', periodEnds: [Date.parse('2027-01-14T06:00:00Z') / 1_000] }]);

      const normal = await opsFamily(stripe);
      expect(normal.code).toBe(0);
      expect(normal.out).toMatch(/^ {2}\S+ \S+\s+1000\s+referral\s+pending\s+600 of 1000: in_ops_1 2027-01-01 08:59:00 \(600\)/m);
      expect(normal.out).toContain(
        'Stripe, live: credit balance 400 cents; next invoice 2027-01-14 06:00:00 UTC; the 400 cents of curator credit not yet applied will go to the next invoice',
      );
      expect(normal.out).toMatch(/^Stripe events the webhook received \(newest first\)\n.*\n {2}2027-01-01 09:00:00\s+invoice\.finalized\s+in_ops_1\s+applied$/m);

      // An invoice the webhook never heard of took the rest: Stripe holds less than the ledger says is unapplied.
      stripe.balances.set(customer, 0);
      const missed = await opsFamily(stripe);
      expect(missed.out).toContain('Stripe holds less than the 400 cents of curator credit not yet applied: an invoice took credit the curator was not told of');

      const json = JSON.parse((await opsFamily(stripe, '--json')).out) as Record<string, unknown>;
      expect(json).toMatchObject({
        stripe: { read: 'stripe', balance_cents: 0, next_invoice_at: '2027-01-14T06:00:00.000Z' },
        unapplied_credit_cents: 400,
        stripe_events: [{ id: 'evt_ops_1', type: 'invoice.finalized', invoice_id: 'in_ops_1', outcome: 'applied' }],
      });
    } finally {
      await stripe.close();
    }
  });

  it('says Stripe was not read, and still answers, when Stripe cannot be reached', async () => {
    const stripe = await fakeStripe();
    await stripe.close();
    const answer = await opsFamily(stripe);
    expect(answer.code).toBe(0);
    expect(answer.out).toMatch(/^ {2}Stripe: not read \(.+\)$/m);
    expect(answer.out).toContain('Stripe events the webhook received (newest first)\n  none');
  });
});
