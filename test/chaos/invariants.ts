import type { SqlClient } from '../../src/db/sql-client.js';

/** What the providers saw: every SendGrid request (accepted or not) and every Stripe balance transaction. */
export interface ProviderRecord {
  readonly emailsReceived: ReadonlyArray<{ executionId: string; accepted: boolean }>;
  /** Every email the curator handed to SendGrid's client (execution ids). */
  readonly emailsHanded: ReadonlySet<string>;
  readonly transactions: ReadonlyArray<{ id: string; ledgerId: string }>;
}

/** What a trial's invariants found; every count but `inDoubt` must be zero. */
export interface Findings {
  /** Candidates without exactly one terminal execution, pending ones, or actions never redone. */
  lost: number;
  /** Emails accepted more often than allowed: twice for a non-critical one, three times for a crisis alert. */
  duplicateEmails: number;
  /** Credits paid twice (one ledger row, or one referral). */
  duplicateCredits: number;
  /** Credits Stripe holds that the ledger or the referral does not show as paid. */
  paidUnrecorded: number;
  /** Crisis alerts neither sent nor escalated. */
  crisisDropped: number;
  /** Emails recorded unknown that were never committed to be sent (no request batch recorded): work given up on. */
  unknownNeverSent: number;
  /**
   * Emails still unknown after the settlement (their request batch recorded, the process killed before their outcome
   * was): SendGrid's events, the health job's settlement and on-call should have settled every one.
   */
  inDoubt: number;
  readonly notes: string[];
}

export const noFindings = (): Findings => ({
  lost: 0,
  duplicateEmails: 0,
  duplicateCredits: 0,
  paidUnrecorded: 0,
  crisisDropped: 0,
  unknownNeverSent: 0,
  inDoubt: 0,
  notes: [],
});

const terminal = new Set(['succeeded', 'vetoed', 'skipped', 'failed', 'unknown', 'escalated']);

/** A failure that only says nothing was attempted: the redelivery or the replay should have redone it. */
const neverAttempted = (error: string | null) => error !== null && error.includes('nothing was sent');

interface ExecutionRow {
  subject_key: string;
  n: number;
  status: string;
  id: string;
  error: string | null;
  user_id: string | null;
  batch_recorded: boolean;
}

async function executionsOf(sql: SqlClient, jobType: string, subjects: readonly string[], periods: readonly string[]) {
  return sql.query<ExecutionRow>(
    `select s.subject_key, count(e.id)::int as n, min(e.status) as status, min(e.id::text) as id, min(e.error) as error, min(e.user_id::text) as user_id,
            bool_or(exists (select 1 from pipeline_request_batches b where b.id = e.request_batch)) as batch_recorded
     from unnest($2::text[]) s(subject_key)
     left join pipeline_executions e on e.pipeline_type = $1 and e.subject_key = s.subject_key and e.period_key = any($3::text[])
     group by s.subject_key`,
    [jobType, subjects, periods],
  );
}

/** Every family of a digest: one terminal execution; no email twice; unknown only where SendGrid got the request. */
export async function checkEmails(
  sql: SqlClient,
  input: { jobType: string; subjects: readonly string[]; periods: readonly string[]; critical: boolean; providers: ProviderRecord },
  findings: Findings,
): Promise<void> {
  const rows = await executionsOf(sql, input.jobType, input.subjects, input.periods);
  const received = new Map<string, { any: number; accepted: number }>();
  for (const email of input.providers.emailsReceived) {
    const entry = received.get(email.executionId) ?? { any: 0, accepted: 0 };
    entry.any += 1;
    if (email.accepted) entry.accepted += 1;
    received.set(email.executionId, entry);
  }
  for (const row of rows) {
    const seen = received.get(row.id) ?? { any: 0, accepted: 0 };
    if (row.n !== 1 || !terminal.has(row.status) || (row.status === 'failed' && neverAttempted(row.error))) {
      findings.lost += 1;
      findings.notes.push(`${input.jobType} ${row.subject_key}: ${row.n} executions, ${row.status}${row.error ? ` (${row.error})` : ''}`);
    }
    if (row.status === 'unknown' && !row.batch_recorded) {
      findings.unknownNeverSent += 1;
      findings.notes.push(`${input.jobType} ${row.subject_key}: unknown (${row.error}), never committed to be sent`);
    } else if (row.status === 'unknown') {
      findings.inDoubt += 1;
      const where = seen.any > 0 ? 'SendGrid got it' : input.providers.emailsHanded.has(row.id) ? 'handed over, SendGrid never got it' : 'never handed over';
      findings.notes.push(`${input.jobType} ${row.subject_key}: still unknown after the settlement (${where})`);
    }
    // A crisis alert may go twice (its one unconfirmed resend), never three times; anything else once.
    const allowed = input.critical ? 2 : 1;
    if (seen.accepted > allowed) {
      findings.duplicateEmails += seen.accepted - allowed;
      findings.notes.push(`${input.jobType} ${row.subject_key}: accepted ${seen.accepted} times`);
    }
    if (row.status === 'succeeded' && seen.accepted === 0) {
      findings.lost += 1;
      findings.notes.push(`${input.jobType} ${row.subject_key}: recorded sent, never accepted`);
    }
    // Every crisis alert of the trial is due (fresh, confident, one per family): it goes, or a human is told.
    if (input.critical && row.status !== 'escalated' && seen.accepted === 0) {
      findings.crisisDropped += 1;
      findings.notes.push(`crisis alert ${row.subject_key}: ${row.status}, never sent`);
    }
  }
}

/** Every referral: one settled execution; no credit paid twice; every credit Stripe holds recorded as paid. */
export async function checkCredits(sql: SqlClient, input: { referrals: readonly string[]; periods: readonly string[]; providers: ProviderRecord }, findings: Findings) {
  const rows = await executionsOf(sql, 'referral_rewards', input.referrals, input.periods);
  for (const row of rows) {
    // A credit's outcome is never left unknown: the replay settles it by its ledger id.
    if (row.n !== 1 || !terminal.has(row.status) || row.status === 'unknown' || (row.status === 'failed' && neverAttempted(row.error))) {
      findings.lost += 1;
      findings.notes.push(`referral ${row.subject_key}: ${row.n} executions, ${row.status}${row.error ? ` (${row.error})` : ''}`);
    }
  }
  const ledger = await sql.query<{ id: string; reference_key: string; stripe_balance_transaction_id: string | null; reward_status: string; execution_status: string | null }>(
    `select l.id::text, l.reference_key, l.stripe_balance_transaction_id, r.reward_status, e.status as execution_status
     from reward_ledger l join referral_tracking r on r.id::text = l.reference_key
     left join pipeline_executions e on e.id = l.execution_id
     where l.source = 'referral' and l.reference_key = any($1::text[])`,
    [input.referrals],
  );
  const byLedger = new Map(ledger.map((row) => [row.id, row]));
  const paidPerLedger = new Map<string, string[]>();
  for (const transaction of input.providers.transactions) {
    if (!byLedger.has(transaction.ledgerId)) continue;
    paidPerLedger.set(transaction.ledgerId, [...(paidPerLedger.get(transaction.ledgerId) ?? []), transaction.id]);
  }
  const perReferral = new Map<string, number>();
  for (const [ledgerId, paid] of paidPerLedger) {
    const row = byLedger.get(ledgerId)!;
    perReferral.set(row.reference_key, (perReferral.get(row.reference_key) ?? 0) + paid.length);
    if (row.stripe_balance_transaction_id !== paid[0] || row.reward_status !== 'issued' || row.execution_status !== 'succeeded') {
      findings.paidUnrecorded += 1;
      findings.notes.push(`referral ${row.reference_key}: paid ${paid[0]}, recorded ${row.stripe_balance_transaction_id ?? 'unpaid'}, reward ${row.reward_status}, execution ${row.execution_status}`);
    }
  }
  for (const [referral, paid] of perReferral) {
    if (paid > 1) {
      findings.duplicateCredits += paid - 1;
      findings.notes.push(`referral ${referral}: paid ${paid} times`);
    }
  }
}
