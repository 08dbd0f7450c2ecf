import Stripe from 'stripe';
import type { Clock } from '../curator/ports.js';
import type { FunctionUrlEvent, FunctionUrlResult } from '../handlers/function-url.js';
import { billingDay, type ledgerPayments } from '../adapters/local/ledger-payments.js';

/** The monthly plan every local family pays, in cents. */
const monthlyPlanCents = 999;

interface InvoicerInput {
  /** The local Stripe (ledgerPayments): its balance transactions, to which an invoice adds what it took. */
  readonly payments: Pick<ReturnType<typeof ledgerPayments>, 'transactions' | 'creditBalances' | 'record'>;
  readonly webhook: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;
  /** The endpoint's signing secret of this run. */
  readonly secret: string;
  readonly clock: Clock;
}

/**
 * Stripe's monthly invoices, as the local Stripe stand-in keeps them: on each customer's billing day, an invoice of the
 * monthly plan is finalized, taking what it can of the customer's credit balance (a balance transaction, as Stripe
 * records it), and `invoice.finalized` is posted to the real Stripe webhook handler, signed as Stripe signs it (the
 * SDK's own test header). Answers how many invoices were finalized and how many cents of credit they took.
 */
export function stripeInvoicer(input: InvoicerInput): (day: Date) => Promise<{ invoices: number; creditCents: number }> {
  let number = 0;
  return async (day) => {
    const customers = [...new Set(input.payments.transactions.map((transaction) => transaction.customerId))].filter(
      (customer) => billingDay(customer) === day.getUTCDate(),
    );
    const balances = customers.length === 0 ? new Map<string, number>() : await input.payments.creditBalances(customers);
    let invoices = 0;
    let creditCents = 0;
    for (const customer of customers) {
      const credit = balances.get(customer) ?? 0;
      if (credit <= 0) continue;
      number += 1;
      const id = `in_local_${day.toISOString().slice(0, 10).replaceAll('-', '')}_${number}`;
      const taken = Math.min(credit, monthlyPlanCents);
      input.payments.record({ id: `cbtxn_${id}`, idempotencyKey: id, customerId: customer, amount: taken, description: `Applied to invoice ${id}` });
      const at = Math.floor(input.clock.now().getTime() / 1_000);
      const payload = JSON.stringify({
        id: `evt_${id}`,
        object: 'event',
        type: 'invoice.finalized',
        created: at,
        livemode: false,
        data: { object: { id, object: 'invoice', customer, status: 'open', total: monthlyPlanCents, starting_balance: -credit, ending_balance: -credit + taken } },
      });
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: input.secret, timestamp: at });
      const answer = await input.webhook({ requestContext: { http: { method: 'POST' } }, headers: { 'stripe-signature': signature }, body: payload });
      if (answer.statusCode !== 200) throw new Error(`the Stripe webhook refused invoice ${id}: ${answer.statusCode} ${answer.body}`);
      invoices += 1;
      creditCents += taken;
    }
    return { invoices, creditCents };
  };
}
