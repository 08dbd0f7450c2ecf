import { storeFunctions, type AnswerOf } from '../store/functions.js';
import type { Attribution, OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { uuid } from './look.js';

/**
 * Places (`hold`) or releases a legal hold on one family's records, with its human_overrides row, in one call
 * (curator_legal_hold). Exit 1 when there is nothing to do (already held, not held): nothing is written then.
 */
export async function changeLegalHold(context: OpsContext, userId: string, hold: boolean, who: Attribution): Promise<AnswerOf<typeof storeFunctions.legalHold>> {
  if (!uuid.test(userId)) throw new OpsError(ExitCode.usage, `a family is its user id (a uuid), got ${userId}`);
  const store = await context.store();
  let changed: AnswerOf<typeof storeFunctions.legalHold>;
  try {
    changed = await store.call(storeFunctions.legalHold, { userId, hold, actor: who.actor, reason: who.reason, ticket: who.ticket, now: context.clock.now() });
  } catch (error) {
    throw explain(error, hold ? 'placing the legal hold' : 'releasing the legal hold');
  }
  if (changed.outcome === 'already_held') {
    throw new OpsError(ExitCode.failed, `${userId} is already on legal hold since ${changed.hold?.placed_at} (placed by ${changed.hold?.placed_by}: ${changed.hold?.reason}); nothing written`);
  }
  if (changed.outcome === 'not_held') throw new OpsError(ExitCode.failed, `${userId} is not on legal hold; nothing written`);
  return changed;
}
