import { capStandings } from '../../curator/caps.js';
import { resolvePolicy } from '../../curator/policy.js';
import { jobTypes, pipelineOf } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import { formatTable, maskEmail, when } from '../../format/table.js';
import { defineCommand, json, wordAt } from '../command.js';
import { ExitCode, explain, OpsError } from '../errors.js';
import { read, uuid } from '../look.js';
import { readTunables } from '../parameters.js';

/** What invoices took of a credit: `600 of 1000: in_123 2027-01-01 09:00`, one entry per invoice; empty when none. */
function creditApplied(row: { amount: number; applied_cents: number; invoices: ReadonlyArray<{ invoice_id: string; cents: number; applied_at: string }> }): string {
  if (row.amount <= 0 || row.invoices.length === 0) return '';
  const invoices = row.invoices.map((invoice) => `${invoice.invoice_id} ${when(invoice.applied_at)} (${invoice.cents})`).join(', ');
  return `${row.applied_cents} of ${row.amount}: ${invoices}`;
}

/** `family <userId>`: one family's story, and where it stands against the caps now. */
export const family = defineCommand({
  name: 'family',
  group: 'look',
  words: '<userId>',
  help: 'one family: decisions, emails, credits, suppressions, preferences, caps now',
  options: { ...json },
  async run({ context, args, shown }) {
    const userId = wordAt(args, 0, 'the user id');
    if (!uuid.test(userId)) throw new OpsError(ExitCode.usage, `a family is its user id (a uuid), got ${userId}`);
    const store = await context.store();
    const now = context.clock.now();
    const story = await read('reading the family', () => store.call(storeFunctions.family, { userId, at: now, limit: 50 }));
    if (story.user === null) throw new OpsError(ExitCode.failed, `no family with user id ${userId}`);
    // The caps as the curator applies them: its defaults, with any override in SSM; unreadable SSM is said, not fatal.
    let parameters = new Map<string, string>();
    let parametersNote: string | null = null;
    try {
      parameters = await readTunables(context);
    } catch (error) {
      parametersNote = `SSM unreadable (${explain(error, 'reading the tunables').message}): caps shown with the defaults of DESIGN.md`;
    }
    const policies = jobTypes.filter((jobType) => pipelineOf(jobType).channel === 'email').map((jobType) => resolvePolicy(jobType, parameters).policy);
    const caps = capStandings(policies, story.cap_emails.map((email) => ({ emailType: email.email_type, queuedAt: new Date(email.queued_at) })), now);
    const user = { ...story.user, email: maskEmail(story.user.email) };
    if (shown.json) {
      context.out(JSON.stringify({ ...story, user, cap_emails: undefined, caps, caps_note: parametersNote }, null, 2));
      return ExitCode.ok;
    }
    const section = (title: string, header: readonly string[], rows: ReadonlyArray<readonly string[]>) => {
      context.out('');
      context.out(title);
      if (rows.length === 0) context.out('  none');
      else for (const line of formatTable(header, rows)) context.out(`  ${line}`);
    };
    context.out(
      `family ${user.id}: ${user.email}, ${user.first_name ?? 'no first name'}, ${user.is_active ? 'active' : 'inactive'}, ` +
        `${user.has_stripe_customer ? 'has a Stripe customer' : 'no Stripe customer (credits veto NO_PAYMENT_ACCOUNT)'}`,
    );
    section(
      'decisions (newest first)',
      ['when (UTC)', 'pipeline', 'period', 'outcome', 'veto reason', 'confidence', 'signals', 'error'],
      story.decisions.map((decision) => [
        when(decision.created_at),
        decision.pipeline_type,
        decision.period_key,
        decision.status,
        decision.veto_reason ?? '',
        decision.confidence_score === null ? '' : decision.confidence_score.toFixed(2),
        decision.signal_count === null ? '' : String(decision.signal_count),
        decision.error ?? '',
      ]),
    );
    section(
      'emails',
      ['queued (UTC)', 'type', 'status', 'sent (UTC)', 'last event', 'error'],
      story.emails.map((email) => [when(email.queued_at), email.email_type, email.status, when(email.sent_at), when(email.last_event_at), email.error ?? '']),
    );
    section(
      'credits (the ledger; applied: what Stripe invoices took of each, by invoice)',
      ['created (UTC)', 'cents', 'source', 'status', 'applied', 'Stripe', 'expires', 'error'],
      story.ledger.map((row) => [
        when(row.created_at),
        String(row.amount),
        row.source,
        row.status === 'expired' ? `expired ${when(row.expired_at)}` : row.status,
        creditApplied(row),
        row.stripe_balance_transaction_id ?? '',
        when(row.expires_at),
        row.error_message ?? '',
      ]),
    );
    section('referrals made', ['created (UTC)', 'status', 'reward', 'converted'], story.referrals.map((row) => [when(row.created_at), row.status, row.reward_status, when(row.converted_at)]));
    section('suppressed address', ['since (UTC)', 'reason'], story.suppressions.map((row) => [when(row.created_at), row.reason]));
    context.out('');
    context.out(
      story.legal_hold === null
        ? 'legal hold: none'
        : story.legal_hold.released_at === null
          ? `legal hold: IN FORCE since ${when(story.legal_hold.placed_at)} UTC, placed by ${story.legal_hold.placed_by}: ${story.legal_hold.reason} (data retention keeps their records)`
          : `legal hold: released ${when(story.legal_hold.released_at)} UTC (placed ${when(story.legal_hold.placed_at)} by ${story.legal_hold.placed_by})`,
    );
    section('email preferences (no row: subscribed)', ['type', 'enabled'], story.preferences.map((row) => [row.email_type, String(row.enabled)]));
    section(
      `caps now (${when(now)} UTC; queued and sent emails count)`,
      ['cap', 'in window', 'frees up (UTC)'],
      caps.map((cap) => [cap.cap, `${cap.count} of ${cap.max}`, cap.freesAt === null ? 'open' : when(cap.freesAt)]),
    );
    if (parametersNote !== null) context.out(`  ${parametersNote}`);
    return ExitCode.ok;
  },
});
