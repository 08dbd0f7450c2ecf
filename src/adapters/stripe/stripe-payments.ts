import Stripe from 'stripe';
import type { BalanceMovement, MovementOutcome, Payments } from '../../curator/ports.js';
import { defaultRetryPolicy, mapBounded, retryAfterMs, withRetries, type Classified, type RetryPolicy } from '../retry.js';

/** Settings of the Stripe payments; the key comes from Secrets Manager in AWS. */
export interface StripePaymentsOptions {
  readonly apiKey: string;
  /** Another endpoint than Stripe's (a local server in tests). */
  readonly host?: string;
  readonly port?: number;
  readonly protocol?: 'http' | 'https';
  /** Calls to Stripe at once. */
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
}

function classify(error: unknown): Classified {
  const failure = error as { statusCode?: number; type?: string; headers?: Record<string, unknown> };
  if (failure.type === 'StripeConnectionError') return { transient: true };
  const status = failure.statusCode ?? 0;
  // Every call carries an idempotency key, so even a call that may have been applied is safe to repeat.
  return { transient: status === 429 || status === 409 || status >= 500, retryAfterMs: retryAfterMs(failure.headers?.['retry-after']) };
}

const describe = (error: unknown) => {
  const failure = error as { statusCode?: number; code?: string; message?: string };
  return `Stripe${failure.statusCode ? ` ${failure.statusCode}` : ''}${failure.code ? ` ${failure.code}` : ''}: ${failure.message ?? String(error)}`;
};

/** The idempotency key of a ledger row: one per movement, whatever retries, replays or runs repeat it. */
export const idempotencyKeyOf = (ledgerId: string) => `storytailor-ledger-${ledgerId}`;

/**
 * Payments on `stripe`: a credit is a customer balance transaction with a negative amount in USD, a reversal a
 * positive one, each keyed by its ledger row (`storytailor-ledger-{id}`, and `metadata.ledger_id`). A movement
 * attempted before is first looked for among the customer's balance transactions, since Stripe forgets
 * idempotency keys after 24 hours. Calls run a few at a time; 429, 409, 5xx and lost connections are retried with
 * backoff and jitter, honouring Retry-After.
 *
 * @example
 * const payments = stripePayments({ apiKey: secrets.stripeKey });
 */
export function stripePayments(options: StripePaymentsOptions): Payments {
  const stripe = new Stripe(options.apiKey, {
    maxNetworkRetries: 0,
    timeout: options.timeoutMs ?? 20_000,
    ...(options.host ? { host: options.host } : {}),
    ...(options.port ? { port: options.port } : {}),
    ...(options.protocol ? { protocol: options.protocol } : {}),
  });
  const policy = options.retry ?? defaultRetryPolicy;
  const concurrency = options.concurrency ?? 8;

  const findEarlier = async (movement: BalanceMovement): Promise<string | null> => {
    for await (const transaction of stripe.customers.listBalanceTransactions(movement.customerId, { limit: 100 })) {
      if (transaction.metadata?.ledger_id === movement.ledgerId) return transaction.id;
    }
    return null;
  };

  // Stripe previews an invoice per subscription only (API 2025-03-31 on), so a customer's next invoice is the
  // earliest end of a current period among its subscriptions that will renew.
  const nextInvoiceOf = async (customerId: string): Promise<Date | null> => {
    const renewing = new Set(['active', 'trialing', 'past_due']);
    const ends: number[] = [];
    for await (const subscription of stripe.subscriptions.list({ customer: customerId, status: 'all', limit: 100 })) {
      if (!renewing.has(subscription.status) || subscription.cancel_at_period_end) continue;
      for (const item of subscription.items.data) ends.push(item.current_period_end);
    }
    return ends.length === 0 ? null : new Date(Math.min(...ends) * 1_000);
  };

  const move = (sign: -1 | 1) => async (movement: BalanceMovement): Promise<MovementOutcome> => {
    try {
      if (movement.seenBefore) {
        const earlier = await withRetries(policy, () => findEarlier(movement), classify);
        if (earlier !== null) return { ledgerId: movement.ledgerId, status: 'succeeded', transactionId: earlier };
      }
      const transaction = await withRetries(
        policy,
        () =>
          stripe.customers.createBalanceTransaction(
            movement.customerId,
            { amount: sign * movement.amountCents, currency: 'usd', description: movement.description, metadata: { ledger_id: movement.ledgerId } },
            { idempotencyKey: idempotencyKeyOf(movement.ledgerId) },
          ),
        classify,
      );
      return { ledgerId: movement.ledgerId, status: 'succeeded', transactionId: transaction.id };
    } catch (error) {
      return { ledgerId: movement.ledgerId, status: 'failed', error: describe(error) };
    }
  };

  return {
    credit: (movements) => mapBounded(movements, concurrency, move(-1)),
    reverse: (movements) => mapBounded(movements, concurrency, move(1)),
    async creditBalances(customerIds) {
      const balances = await mapBounded(customerIds, concurrency, async (id) => {
        const customer = await withRetries(policy, () => stripe.customers.retrieve(id), classify);
        const balance = 'deleted' in customer && customer.deleted ? 0 : (customer as Stripe.Customer).balance;
        return [id, Math.max(0, -balance)] as const;
      });
      return new Map(balances);
    },
    upcomingInvoiceAt: (customerId) => withRetries(policy, () => nextInvoiceOf(customerId), classify),
  };
}
