import { capStandings } from '../../curator/caps.js';
import { resolvePolicy } from '../../curator/policy.js';
import { familyWindow, isKnownZone, quietUntil, showQuietWindow, type QuietWindow } from '../../curator/quiet-hours.js';
import { jobTypes, pipelineOf } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import { formatTable, maskEmail, when } from '../../format/table.js';
import { defineCommand, json, wordAt } from '../command.js';
import { ExitCode, explain, OpsError } from '../errors.js';
import { read, uuid } from '../look.js';
import type { OpsContext } from '../context.js';
import { readTunables } from '../parameters.js';

/** What invoices took of a credit: `600 of 1000: in_123 2027-01-01 09:00`, one entry per invoice; empty when none. */
function creditApplied(row: { amount: number; applied_cents: number; invoices: ReadonlyArray<{ invoice_id: string; cents: number; applied_at: string }> }): string {
  if (row.amount <= 0 || row.invoices.length === 0) return '';
  const invoices = row.invoices.map((invoice) => `${invoice.invoice_id} ${when(invoice.applied_at)} (${invoice.cents})`).join(', ');
  return `${row.applied_cents} of ${row.amount}: ${invoices}`;
}

/** The family's Stripe customer as Stripe sees it now; what could not be read is said, not fatal. */
type StripeStanding =
  | { readonly read: 'stripe' | 'local stand-in'; readonly balance_cents: number; readonly next_invoice_at: string | null }
  | { readonly read: 'not read'; readonly reason: string };

async function stripeStanding(context: OpsContext, customerId: string, allowLocal: boolean): Promise<StripeStanding> {
  try {
    const { payments, local } = await context.payments(allowLocal);
    const [balances, next] = await Promise.all([payments.creditBalances([customerId]), payments.upcomingInvoiceAt(customerId)]);
    return { read: local ? 'local stand-in' : 'stripe', balance_cents: balances.get(customerId) ?? 0, next_invoice_at: next?.toISOString() ?? null };
  } catch (error) {
    return { read: 'not read', reason: explain(error, 'reading the Stripe customer').message };
  }
}

/** What the curator's credits still hold, unapplied, next to Stripe's balance: the answer to "credit not applied?". */
function standingLine(standing: StripeStanding, unappliedCents: number): string {
  if (standing.read === 'not read') return `Stripe: not read (${standing.reason})`;
  const source = standing.read === 'stripe' ? 'Stripe, live' : 'LOCAL STAND-IN (the ledger file), not Stripe';
  const next = standing.next_invoice_at === null ? 'no upcoming invoice (no subscription renews)' : `next invoice ${when(standing.next_invoice_at)} UTC`;
  const verdict =
    unappliedCents === 0
      ? 'no curator credit waits to be applied'
      : standing.balance_cents >= unappliedCents
        ? `the ${unappliedCents} cents of curator credit not yet applied will go to the next invoice`
        : `Stripe holds less than the ${unappliedCents} cents of curator credit not yet applied: an invoice took credit the curator was not told of (runbooks/operations.md, "Referral reward not applied")`;
  return `${source}: credit balance ${standing.balance_cents} cents; ${next}; ${verdict}`;
}

/** Where a family is, as the app's backend set it: its zone, its window (its own or the default), its clock now. */
interface FamilyClock {
  readonly time_zone: string;
  readonly quiet_hours: string;
  readonly quiet_hours_source: 'family' | 'default';
  readonly local_time: string;
  /** Inside the window now: when it ends (UTC); null outside it. */
  readonly quiet_until: string | null;
}

const unknownClock = 'unknown';

function familyClock(row: { time_zone: string; quiet_start: string | null; quiet_end: string | null }, now: Date, defaultWindow: QuietWindow): FamilyClock {
  const own = familyWindow(row);
  const window = own ?? defaultWindow;
  // Postgres knew the zone when it was stored; a zone this Node's time zone data does not know is said, never guessed at.
  const known = isKnownZone(row.time_zone);
  return {
    time_zone: row.time_zone,
    quiet_hours: showQuietWindow(window),
    quiet_hours_source: own !== null ? 'family' : 'default',
    local_time: known ? new Intl.DateTimeFormat('en-GB', { timeZone: row.time_zone, dateStyle: 'short', timeStyle: 'short' }).format(now) : unknownClock,
    quiet_until: known ? (quietUntil(now, row.time_zone, window)?.toISOString() ?? null) : null,
  };
}

function clockLine(clock: FamilyClock | null): string {
  if (clock === null) return 'time zone: not set by the app (no quiet hours; emails go when their pipeline fires)';
  if (clock.local_time === unknownClock) return `time zone: ${clock.time_zone}, which this curator's time zone data does not know: no quiet hours kept`;
  const window = `${clock.quiet_hours} local (${clock.quiet_hours_source === 'family' ? "the family's own" : 'the default'})`;
  const now = clock.quiet_until === null ? 'outside them now' : `inside them now, until ${when(clock.quiet_until)} UTC`;
  return `time zone: ${clock.time_zone}, ${clock.local_time} there now; quiet hours ${window}, ${now}`;
}

/** `family <userId>`: one family's story, and where it stands against the caps now. */
export const family = defineCommand({
  name: 'family',
  group: 'look',
  words: '<userId>',
  help: 'one family: decisions, emails, credits and their Stripe balance, suppressions, preferences, caps now',
  options: { ...json, 'local-payments': { type: 'boolean', help: 'read the balance from the local ledger file instead of Stripe' } },
  async run({ context, args, shown, options }) {
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
    const customerId = story.user.stripe_customer_id;
    const stripe = customerId === null ? null : await stripeStanding(context, customerId, options['local-payments']);
    // Issued credits that invoices have not taken all of: what the Stripe balance should still hold for the curator.
    // The window a family without its own keeps: the environment's, as the digest applies it.
    const clock = story.time_zone === null ? null : familyClock(story.time_zone, now, resolvePolicy('daily_digest', parameters).policy.quietHours!);
    const unappliedCents = story.ledger
      .filter((row) => row.status === 'pending' && row.amount > 0 && row.stripe_balance_transaction_id !== null)
      .reduce((sum, row) => sum + row.amount - row.applied_cents, 0);
    if (shown.json) {
      context.out(JSON.stringify({ ...story, user, time_zone: clock, stripe, unapplied_credit_cents: unappliedCents, cap_emails: undefined, caps, caps_note: parametersNote }, null, 2));
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
    context.out(clockLine(clock));
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
    if (stripe !== null) context.out(`  ${standingLine(stripe, unappliedCents)}`);
    section(
      'Stripe events the webhook received (newest first)',
      ['received (UTC)', 'event', 'invoice', 'outcome'],
      story.stripe_events.map((event) => [when(event.received_at), event.type, event.invoice_id ?? '', event.outcome]),
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
