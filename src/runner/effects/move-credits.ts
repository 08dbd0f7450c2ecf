import type { BalanceMovement, MovementOutcome } from '../../curator/ports.js';
import type { OutcomeRow } from '../../store/curator-store.js';
import type { CuratorDeps } from '../deps.js';
import type { Claim } from './claim.js';
import type { RequestGate } from './request-gate.js';

/** Each ledger row's answer, or `held` when the gate kept the movements from being sent. */
export type CreditAnswers = { readonly held: true } | { readonly held: false; readonly answers: ReadonlyMap<string, MovementOutcome> };

/**
 * Moves credit through the payments port for claimed ledger rows, after asking the gate once for the page. A
 * ledger row that already carries a Stripe transaction id was paid by an earlier attempt whose outcome was not
 * recorded: it is not sent again. A row attempted before is looked up first by the adapter (`seenBefore`).
 */
export async function moveCredits(
  deps: CuratorDeps,
  movements: ReadonlyArray<{ claim: Claim; movement: BalanceMovement | null }>,
  direction: 'credit' | 'reverse',
  gate: RequestGate,
): Promise<CreditAnswers> {
  const answers = new Map<string, MovementOutcome>();
  const toSend: BalanceMovement[] = [];
  for (const { claim, movement } of movements) {
    if (movement === null) continue;
    const paid = claim.ledger?.stripe_balance_transaction_id;
    if (paid) answers.set(movement.ledgerId, { ledgerId: movement.ledgerId, status: 'succeeded', transactionId: paid });
    else toSend.push(movement);
  }
  if (toSend.length > 0) {
    if (!(await gate.open())) return { held: true };
    let outcomes: MovementOutcome[];
    try {
      outcomes = direction === 'credit' ? await deps.payments.credit(toSend) : await deps.payments.reverse(toSend);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      outcomes = toSend.map((movement) => ({ ledgerId: movement.ledgerId, status: 'failed', error: reason }));
    }
    for (const outcome of outcomes) answers.set(outcome.ledgerId, outcome);
  }
  return { held: false, answers };
}

/**
 * What one payment's answer records, the one mapping of Stripe's answer to the outcome and the ledger row: succeeded,
 * with Stripe's transaction id and the ledger row `paid` (a credit stays `pending` until an invoice takes it, a
 * reversal is `applied`); or failed with Stripe's error (or `missing` when there was no answer), the ledger row
 * `failed` when there is one.
 */
export function paymentOutcome(
  answer: MovementOutcome | undefined,
  paid: 'pending' | 'applied',
  missing: string,
  hasLedger = true,
): Pick<OutcomeRow, 'status' | 'error' | 'ledger_status' | 'stripe_balance_transaction_id'> {
  if (answer?.status === 'succeeded') return { status: 'succeeded', error: null, ledger_status: paid, stripe_balance_transaction_id: answer.transactionId };
  return { status: 'failed', error: answer?.status === 'failed' ? answer.error : missing, ledger_status: hasLedger ? 'failed' : null };
}
