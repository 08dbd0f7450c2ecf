import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BalanceMovement, Clock, MovementOutcome, Payments } from '../../curator/ports.js';
import { systemClock } from '../clock.js';

/** One balance transaction as Stripe keeps them: a negative amount credits the customer. */
export interface LocalTransaction {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly customerId: string;
  readonly amount: number;
  readonly description: string;
}

/** The hour (UTC) at which the local Stripe finalizes the day's invoices. */
export const invoiceHourUtc = 6;

/** A customer's billing day of the month (1..28) at the local Stripe: families are billed on the day they subscribed. */
export const billingDay = (customer: string) => (Array.from(customer).reduce((sum, char) => sum * 31 + char.charCodeAt(0), 7) >>> 0) % 28 + 1;

/** The first billing moment of the customer strictly after `now`: its billing day at {@link invoiceHourUtc}. */
export function nextBillingAt(customer: string, now: Date): Date {
  const day = billingDay(customer);
  for (let months = 0; ; months += 1) {
    const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, day, invoiceHourUtc));
    if (at > now) return at;
  }
}

/**
 * Payments for running without Stripe: balance transactions in a JSON file (or only in memory when `file` is
 * null), idempotent on the ledger id as Stripe is on its idempotency key. Every customer has a monthly plan billed
 * on its own day ({@link billingDay}).
 */
export function ledgerPayments(
  file: string | null,
  clock: Clock = systemClock,
): Payments & { readonly transactions: LocalTransaction[]; record(transaction: LocalTransaction): void } {
  const transactions: LocalTransaction[] =
    file !== null && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalTransaction[]) : [];
  const save = () => {
    if (file === null) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(transactions, null, 1));
  };
  const move = (movements: readonly BalanceMovement[], sign: -1 | 1): MovementOutcome[] => {
    const outcomes = movements.map((movement): MovementOutcome => {
      if (!Number.isInteger(movement.amountCents) || movement.amountCents <= 0) {
        return { ledgerId: movement.ledgerId, status: 'failed', error: `amount must be positive cents, got ${movement.amountCents}` };
      }
      const earlier = transactions.find((transaction) => transaction.idempotencyKey === movement.ledgerId);
      if (earlier) return { ledgerId: movement.ledgerId, status: 'succeeded', transactionId: earlier.id };
      const transaction = {
        id: `cbtxn_local_${transactions.length + 1}`,
        idempotencyKey: movement.ledgerId,
        customerId: movement.customerId,
        amount: sign * movement.amountCents,
        description: movement.description,
      };
      transactions.push(transaction);
      return { ledgerId: movement.ledgerId, status: 'succeeded', transactionId: transaction.id };
    });
    save();
    return outcomes;
  };
  return {
    transactions,
    // What the local Stripe does on its own (an invoice applying the balance), kept in the same file.
    record(transaction) {
      transactions.push(transaction);
      save();
    },
    credit: async (movements) => move(movements, -1),
    reverse: async (movements) => move(movements, 1),
    async creditBalances(customerIds) {
      const wanted = new Set(customerIds);
      const balances = new Map<string, number>(customerIds.map((id) => [id, 0]));
      for (const transaction of transactions) {
        if (wanted.has(transaction.customerId)) {
          balances.set(transaction.customerId, (balances.get(transaction.customerId) ?? 0) - transaction.amount);
        }
      }
      return balances;
    },
    upcomingInvoiceAt: async (customerId) => nextBillingAt(customerId, clock.now()),
  };
}
