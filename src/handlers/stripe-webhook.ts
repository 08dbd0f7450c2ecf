import Stripe from 'stripe';
import { z } from 'zod';
import { systemClock } from '../adapters/clock.js';
import { MetricName } from '../curator/ports.js';
import { errorFields } from '../errors/error-fields.js';
import { storeFunctions, type AnswerOf } from '../store/functions.js';
import type { StripeWebhookDeps } from '../wiring/stripe-webhook.js';
import { answer, headersOf, rawBodyOf, type FunctionUrlEvent, type FunctionUrlResult } from './function-url.js';

/** How old Stripe's signed timestamp may be, either way: Stripe's own default tolerance. */
export const stripeToleranceSeconds = 300;

/** The events the endpoint is subscribed to (README, deploy steps): the ones that change what an invoice took. */
export const stripeWebhookEvents = ['invoice.finalized', 'invoice.paid', 'invoice.voided'] as const;

/** The fields of an invoice the curator reads; Stripe sends many more. */
const invoiceObject = z.looseObject({
  id: z.string().startsWith('in_'),
  customer: z.union([z.string(), z.looseObject({ id: z.string() })]),
  starting_balance: z.number().int(),
  ending_balance: z.number().int().nullable(),
});

/**
 * The cents of credit balance an invoice took: Stripe keeps a credit as a negative balance, and an invoice that
 * starts at −1,000 and ends at −200 took 800. An invoice that started with a debt took none.
 */
export function balanceApplied(invoice: { starting_balance: number; ending_balance: number | null }): number {
  if (invoice.starting_balance >= 0 || invoice.ending_balance === null) return 0;
  return Math.max(0, Math.min(-invoice.starting_balance, invoice.ending_balance - invoice.starting_balance));
}

type Applied = AnswerOf<typeof storeFunctions.applyStripeInvoice>;

/**
 * Stripe's webhook behind a Lambda function URL. Verifies each delivery with the Stripe SDK's own
 * `webhooks.constructEventAsync` against the endpoint's signing secret (timestamp tolerance 300 s, read on the
 * curator's clock); a forged, unsigned or stale delivery gets 400 and nothing is written. Applies
 * invoice.finalized, invoice.paid and invoice.voided to the ledger (curator_apply_stripe_invoice: once per event id
 * and once per invoice, whatever order Stripe delivers them in); any other event, and an event for a customer the
 * curator never credited, is acknowledged with 200 so Stripe stops retrying, and counted. A failure to record is
 * answered 500, so Stripe delivers it again (for up to three days). Never logs an address or a secret.
 */
export function createStripeWebhookHandler(dependencies: () => Promise<StripeWebhookDeps>) {
  let built: Promise<StripeWebhookDeps> | null = null;
  return async function handle(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
    built ??= dependencies().catch((error: unknown) => {
      built = null;
      throw error;
    });
    const deps = await built;
    const clock = deps.clock ?? systemClock;
    const refuse = async (statusCode: number, error: string) => {
      deps.logger.warn('stripe webhook refused', { status: statusCode, error });
      // Not signed for this endpoint: a signing secret that no longer matches Stripe's shows as a steady count.
      if (statusCode === 400) {
        deps.metrics.record({ name: MetricName.StripeWebhookRefused, value: 1, unit: 'Count' });
        await flushMetrics(deps);
      }
      return answer(statusCode, { error });
    };
    const method = event.requestContext?.http?.method ?? 'POST';
    if (method !== 'POST') return refuse(405, `method ${method} is not allowed; Stripe posts events`);
    const signature = headersOf(event)['stripe-signature'];
    if (!signature) return refuse(400, 'unsigned: the Stripe-Signature header is required');

    let stripeEvent: Stripe.Event;
    try {
      // Stripe reads `receivedAt` in milliseconds.
      stripeEvent = await Stripe.webhooks.constructEventAsync(rawBodyOf(event), signature, deps.signingSecret, stripeToleranceSeconds, undefined, clock.now().getTime());
    } catch (error) {
      // Stripe's message says which check failed (no matching signature, outside the tolerance zone, not JSON).
      return refuse(400, `not a delivery signed by Stripe for this endpoint: ${error instanceof Error ? error.message : String(error)}`);
    }

    const fields = { event_id: stripeEvent.id, type: stripeEvent.type };
    const read = invoiceObject.safeParse(stripeEvent.data.object);
    const invoice = read.success ? read.data : null;
    if (!read.success && (stripeWebhookEvents as readonly string[]).includes(stripeEvent.type)) {
      // Acknowledged (a redelivery would be the same), recorded `ignored`, and said by name.
      const issue = read.error.issues[0];
      deps.logger.error('stripe invoice event unreadable; recorded as ignored', { ...fields, field: `data.object.${issue?.path.join('.') ?? ''}`, problem: issue?.message });
    }
    let applied: Applied;
    try {
      applied = await deps.store.call(storeFunctions.applyStripeInvoice, {
        eventId: stripeEvent.id,
        type: stripeEvent.type,
        invoiceId: invoice?.id ?? null,
        customer: invoice === null ? null : typeof invoice.customer === 'string' ? invoice.customer : invoice.customer.id,
        balanceAppliedCents: invoice === null ? 0 : balanceApplied(invoice),
        at: new Date(stripeEvent.created * 1_000),
        now: clock.now(),
      });
    } catch (error) {
      deps.logger.error('stripe event not recorded; Stripe will deliver it again', { ...fields, ...errorFields(error) });
      return answer(500, { error: 'could not record the event; it will be delivered again' });
    }
    recordApplied(deps, applied);
    deps.logger.info('stripe event', { ...fields, invoice_id: invoice?.id ?? null, outcome: applied.outcome, credits: applied.credits.length });
    await flushMetrics(deps);
    return answer(200, { received: true, outcome: applied.outcome });
  };
}

const flushMetrics = (deps: StripeWebhookDeps) => deps.metrics.flush().catch((error: unknown) => deps.logger.warn('could not publish metrics', errorFields(error)));

/** CreditsApplied (credits used up) and CreditsAppliedCents by source; a void counts back. StripeEventsIgnored. */
function recordApplied(deps: StripeWebhookDeps, applied: Applied): void {
  if (applied.outcome === 'unknown_customer') deps.metrics.record({ name: MetricName.StripeEventsIgnored, value: 1, unit: 'Count' });
  const bySource = new Map<string, { cents: number; used: number }>();
  for (const credit of applied.credits) {
    const entry = bySource.get(credit.source) ?? { cents: 0, used: 0 };
    entry.cents += credit.cents;
    // A voided invoice gives back what it took: a credit it had used up is counted back.
    if (credit.applied) entry.used += credit.cents < 0 ? -1 : 1;
    bySource.set(credit.source, entry);
  }
  for (const [source, { cents, used }] of bySource) {
    if (cents !== 0) deps.metrics.record({ name: MetricName.CreditsAppliedCents, value: cents, unit: 'Count', source });
    if (used !== 0) deps.metrics.record({ name: MetricName.CreditsApplied, value: used, unit: 'Count', source });
  }
}

/** The Lambda entry point behind the function URL, configured from the environment. */
export const handler = createStripeWebhookHandler(async () => {
  const { loadConfig } = await import('../wiring/config.js');
  const { buildStripeWebhookDependencies } = await import('../wiring/stripe-webhook.js');
  return buildStripeWebhookDependencies(loadConfig(process.env));
});
