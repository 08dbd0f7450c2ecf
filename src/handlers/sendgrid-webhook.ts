import { storeFunctions, type AnswerOf } from '../store/functions.js';
import { z } from 'zod';
import { systemClock } from '../adapters/clock.js';
import { MetricName, type Clock, type Metrics } from '../curator/ports.js';
import { runComplaintBreaker, type BreakerTrip } from '../breaker/complaint-breaker.js';
import { settleUnknownEmails, type Settlement } from '../runner/jobs/settle-unknown-emails.js';
import { deliveryOfEvents, readEvent, signatureIsValid, webhookHeaders } from '../adapters/sendgrid/event-webhook.js';
import type { WebhookDeps } from '../wiring/webhook.js';
import { answer, headersOf, rawBodyOf, type FunctionUrlEvent, type FunctionUrlResult } from './function-url.js';
import { errorFields } from '../errors/error-fields.js';

type AppliedEvents = AnswerOf<typeof storeFunctions.applyEmailEvents>;

/** A container settles at most this often: SendGrid's servers each post about every 30 s, and the rule needs minutes. */
const settleEveryMs = 60_000;

/**
 * The SendGrid event webhook behind a Lambda function URL. Verifies the signature over the raw body bytes (base64
 * encoded or not) within the timestamp tolerance; refuses unsigned, forged or stale requests with 401 and
 * a delivery with nothing usable in it with 400, writing nothing. Applies new events (each SendGrid event id once):
 * statuses only move forward, bounces, spam reports and unsubscribes suppress the address, and what it saw is counted
 * in Storytailor/Email by email type (recordEmailMetrics); a complaint spike turns its pipeline off (the complaint
 * breaker, breakOnComplaints); with a work queue, the emails a crash left unknown are settled (settle). One bad event
 * does not cost the others: it is cleaned and applied, or counted and logged (`rejected`), and the delivery is
 * answered 200. Never logs an address.
 */
export function createSendGridWebhookHandler(dependencies: () => Promise<WebhookDeps>) {
  let built: Promise<WebhookDeps> | null = null;
  let settledAt = Number.NEGATIVE_INFINITY;
  return async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    built ??= dependencies().catch((error: unknown) => {
      built = null;
      throw error;
    });
    const deps = await built;
    const clock = deps.clock ?? systemClock;
    const refuse = async (statusCode: 400 | 401 | 405, error: string, mayHoldEvidence = true) => {
      deps.logger.warn('sendgrid webhook refused', { status: statusCode, error });
      if (mayHoldEvidence) await noteRefusal(deps, clock.now(), statusCode, error);
      return answer(statusCode, { error });
    };

    const method = event.requestContext?.http?.method ?? 'POST';
    // Neither a GET nor an unsigned request is SendGrid's: they cannot have held the evidence of a request.
    if (method !== 'POST') return refuse(405, `method ${method} is not allowed; SendGrid posts events`, false);
    const headers = headersOf(event);
    const signature = headers[webhookHeaders.signature];
    const timestamp = headers[webhookHeaders.timestamp];
    if (!signature || !timestamp) return refuse(401, `unsigned: ${webhookHeaders.signature} and ${webhookHeaders.timestamp} are required`, false);
    if (!/^\d{1,12}$/.test(timestamp)) return refuse(401, `${webhookHeaders.timestamp} is not a unix time`);
    const age = Math.abs(clock.now().getTime() / 1_000 - Number(timestamp));
    if (age > deps.toleranceSeconds) return refuse(401, `stale: signed ${Math.round(age)} s away from now, more than ${deps.toleranceSeconds} s`);
    const rawBody = rawBodyOf(event);
    if (!signatureIsValid(deps.publicKey, rawBody, timestamp, signature)) return refuse(401, 'the signature does not match the body');

    let items: z.infer<typeof deliveryOfEvents>;
    try {
      const result = deliveryOfEvents.safeParse(JSON.parse(rawBody.toString('utf8')));
      if (!result.success) {
        const issue = result.error.issues[0];
        return refuse(400, `malformed events at ${issue?.path.join('.') || '(body)'}: ${issue?.message}`);
      }
      items = result.data;
    } catch {
      // JSON.parse's message would echo the body: the refusal says what is wrong without it.
      return refuse(400, 'the body is not JSON');
    }

    const nowSeconds = Math.floor(clock.now().getTime() / 1_000);
    const read = items.map((item, index) => readEvent(item, index, nowSeconds));
    const usable = read.flatMap((entry) => (entry.ok ? [entry] : []));
    const problems = read.flatMap((entry) => (entry.ok ? [] : [entry.problem]));
    // A delivery with nothing usable in it is garbage; one with a bad event among good ones is applied (SendGrid
    // would retry the whole delivery on an error, and drop it in the end, unsubscribes included).
    if (usable.length === 0) return refuse(400, `malformed events at ${problems[0]}`);
    if (problems.length > 0) deps.logger.warn('sendgrid events rejected', { rejected: problems.length, problems: problems.slice(0, 20) });
    const cleaned = usable.filter((entry) => entry.cleaned).length;
    if (cleaned > 0) deps.logger.warn('sendgrid events cleaned before applying', { cleaned });
    let applied: AppliedEvents;
    try {
      applied = await deps.store.call(storeFunctions.applyEmailEvents, { events: usable.map((entry) => entry.event), now: clock.now() });
    } catch (error) {
      // SendGrid retries the delivery; until it lands, no email of unknown outcome is settled failed for want of it.
      await noteRefusal(deps, clock.now(), 500, error instanceof Error ? error.message : String(error));
      throw error;
    }
    recordEmailMetrics(deps.metrics, applied);
    const trips = await breakOnComplaints(deps, applied, clock.now());
    let settlement: Settlement | null = null;
    if (deps.settlement !== undefined && clock.now().getTime() - settledAt >= settleEveryMs) {
      settledAt = clock.now().getTime();
      settlement = await settle(deps, clock);
    }
    const result = {
      ...applied,
      rejected: problems.length,
      cleaned,
      breaker_trips: trips.map((trip) => trip.jobType),
      ...(settlement ? { settled_failed: settlement.failed, settled_superseded: settlement.superseded, replays_queued: settlement.replaysQueued } : {}),
    };
    await deps.metrics.flush().catch((error: unknown) => {
      deps.logger.error('metrics flush failed', errorFields(error));
    });
    deps.logger.info('sendgrid events applied', { ...result });
    return answer(200, result);
  };
}

/**
 * Records a delivery the webhook did not apply, best effort: it may have held the evidence of a request, so no
 * email of unknown outcome recorded before it is settled failed (curator_settle_unknown_emails). When the database
 * cannot take even this, the function's own error (AWS/Lambda Errors, read by the health job) says the same.
 */
async function noteRefusal(deps: WebhookDeps, now: Date, status: number, error: string): Promise<void> {
  try {
    await deps.store.call(storeFunctions.recordWebhookRefusal, { now, status, error });
  } catch (failure) {
    deps.logger.error('could not record a refused delivery', { status, ...errorFields(failure) });
  }
}

/**
 * Settles emails of unknown outcome after a delivery was applied, so a request SendGrid never received is resent
 * minutes after its grace window rather than at the health job's next run. Its failure costs the delivery nothing:
 * the events are applied, and the health job settles within 15 minutes.
 */
async function settle(deps: WebhookDeps, clock: Clock): Promise<Settlement | null> {
  if (deps.settlement === undefined) return null;
  try {
    return await settleUnknownEmails({ ...deps.settlement, store: deps.store, clock, logger: deps.logger });
  } catch (error) {
    deps.logger.error('settling emails of unknown outcome failed; the health job will', errorFields(error));
    return null;
  }
}

/**
 * The complaint breaker after a delivery that carried new unsubscribes or spam reports of a typed message. The
 * events are applied whatever it does: a failure here is logged, never answered as an error (SendGrid's retry of
 * the delivery would find nothing new to apply, and so nothing to check).
 */
async function breakOnComplaints(deps: WebhookDeps, applied: AppliedEvents, now: Date): Promise<BreakerTrip[]> {
  const complained = applied.by_type.filter((row) => row.unsubscribes + row.spamreports > 0).map((row) => row.email_type);
  if (deps.breaker === undefined || complained.length === 0) return [];
  try {
    return await runComplaintBreaker({ ...deps.breaker, store: deps.store, metrics: deps.metrics, logger: deps.logger }, complained, now);
  } catch (error) {
    deps.logger.error('complaint breaker failed', errorFields(error));
    return [];
  }
}

/**
 * Storytailor/Email from one applied delivery. By email type: the messages seen delivered, opened, clicked, bounced,
 * unsubscribed or reported for the first time. Without dimensions: their sums, except that Unsubscribes, Bounces and
 * SpamReports stay every such event (also of messages the curator did not send), as the guide's alarms read them:
 * the events no typed message accounts for are recorded once more without a type.
 */
function recordEmailMetrics(metrics: Metrics, applied: AppliedEvents): void {
  const count = (name: MetricName, value: number, emailType?: string) => {
    if (value > 0) metrics.record({ name, value, unit: 'Count', ...(emailType === undefined ? {} : { emailType }) });
  };
  const typed = { unsubscribes: 0, bounces: 0, spamreports: 0 };
  for (const row of applied.by_type) {
    count(MetricName.EmailsDelivered, row.delivered, row.email_type);
    count(MetricName.EmailOpens, row.opens, row.email_type);
    count(MetricName.EmailClicks, row.clicks, row.email_type);
    count(MetricName.Unsubscribes, row.unsubscribes, row.email_type);
    count(MetricName.Bounces, row.bounces, row.email_type);
    count(MetricName.SpamReports, row.spamreports, row.email_type);
    typed.unsubscribes += row.unsubscribes;
    typed.bounces += row.bounces;
    typed.spamreports += row.spamreports;
  }
  count(MetricName.Unsubscribes, applied.unsubscribes - typed.unsubscribes);
  count(MetricName.Bounces, applied.bounces - typed.bounces);
  count(MetricName.SpamReports, applied.spamreports - typed.spamreports);
  // Evidence for a request already settled failed: its emails may have gone twice (the replay resent them).
  count(MetricName.LateEvidence, applied.late_evidence);
}

/** The Lambda entry point behind the function URL, configured from the environment. */
export const handler = createSendGridWebhookHandler(async () => {
  const { loadConfig } = await import('../wiring/config.js');
  const { buildWebhookDependencies } = await import('../wiring/webhook.js');
  return buildWebhookDependencies(loadConfig(process.env));
});
