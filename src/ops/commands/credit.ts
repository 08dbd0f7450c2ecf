import { credits } from '../../pipelines/index.js';
import { manualCreditCents, readWholeNumber, refusalText } from '../../requests/request-contract.js';
import { paymentOutcome } from '../../runner/effects/move-credits.js';
import { storeFunctions, type AnswerOf } from '../../store/functions.js';
import { defineCommand, reasonOf, recorded, required, wordAt } from '../command.js';
import { ExitCode, explain, OpsError } from '../errors.js';
import { uuid } from '../look.js';

/**
 * `credit <userId> <cents>`: a manual credit for a support ticket. The ledger row and its override are written
 * first, in one transaction and once per ticket; the ledger id is the payment's idempotency key, so running the
 * command again for the same ticket never pays twice. It pays through Stripe as the curator does
 * (context.payments: the curator's Stripe key), or the local stand-in only when asked for by name.
 */
export const credit = defineCommand({
  name: 'credit',
  group: 'act',
  words: '<userId> <cents>',
  help:
    'manual credit through Stripe (STRIPE_SECRET_KEY or its _SECRET_ARN), once per ticket; records a human ' +
    `override. Whole cents, ${manualCreditCents.min} to ${manualCreditCents.max.toLocaleString('en-US')}. --local-payments: the local stand-in, paying nobody`,
  options: {
    ticket: { type: 'string', value: 'SUP-123', help: 'the support ticket it answers (required: one credit per ticket)' },
    reason: recorded.reason,
    'local-payments': { type: 'boolean', help: 'pay into the local ledger file instead of Stripe (nobody is credited)' },
  },
  async run({ context, args, options, who }) {
    const userId = wordAt(args, 0, 'the user id');
    if (!uuid.test(userId)) throw new OpsError(ExitCode.usage, `the user id must be a uuid, got ${userId}`);
    const cents = readWholeNumber('the amount in cents', wordAt(args, 1, 'the amount in cents'), manualCreditCents);
    if (!cents.ok) throw new OpsError(ExitCode.usage, refusalText(cents.refusal));
    const ticket = required(options.ticket, 'ticket');
    const by = reasonOf(who, options);
    // Before anything is written: a credit recorded without a way to pay it could never be paid later.
    const { payments, local } = await context.payments(options['local-payments']);
    if (local) context.out('LOCAL STAND-IN: paying into the local ledger file, not Stripe; nobody is credited');
    const store = await context.store();
    const now = context.clock.now();
    let claimed: AnswerOf<typeof storeFunctions.manualCredit>;
    try {
      claimed = await store.call(storeFunctions.manualCredit, {
        userId,
        amount: cents.value,
        ticket,
        actor: by.actor,
        reason: by.reason,
        expiresAt: new Date(now.getTime() + credits.validityDays * 86_400_000),
        now,
      });
    } catch (error) {
      throw explain(error, 'writing the manual credit');
    }
    if ('refused' in claimed) throw new OpsError(ExitCode.failed, `user ${userId} has no Stripe customer: nothing was credited (NO_PAYMENT_ACCOUNT)`);
    const { ledger, customer } = claimed;
    if (ledger.stripe_balance_transaction_id) {
      context.out(`ticket ${ticket} was already credited: ledger ${ledger.id}, Stripe ${ledger.stripe_balance_transaction_id}`);
      return ExitCode.ok;
    }
    const [answer] = await payments.credit([{ ledgerId: ledger.id, customerId: customer, amountCents: ledger.amount, description: `Manual credit ${ticket}` }]);
    const outcome = paymentOutcome(answer, 'pending', 'no answer');
    await store.recordOutcomes(context.clock.now(), [{ execution_id: null, ledger_id: ledger.id, ...outcome }]);
    if (outcome.status !== 'succeeded') throw new OpsError(ExitCode.failed, `the payment failed: ${outcome.error}; run the same command again to retry`);
    context.out(`credited ${(ledger.amount / 100).toFixed(2)} USD to ${userId} for ${ticket}: ledger ${ledger.id}, transaction ${outcome.stripe_balance_transaction_id}`);
    return ExitCode.ok;
  },
});
