import type { OutcomeRow } from '../../store/curator-store.js';
import type { LedgerRef } from '../../store/rows.js';

/** A decision the database accepted as the action to take. */
export interface Claim {
  readonly executionId: string;
  readonly emailLogId: string | null;
  readonly ledger: LedgerRef;
}

/** What came of one claimed action, with what the tally and the logs need. */
export interface ActResult {
  readonly outcome: OutcomeRow;
  readonly emailSent?: boolean;
  /** The provider refused the email or never answered. */
  readonly emailFailed?: boolean;
  readonly creditedCents?: number;
  readonly reversedCents?: number;
}
