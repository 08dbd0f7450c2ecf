import { createHash, type KeyObject } from 'node:crypto';
import { customArgs, signatureHeaders } from '../adapters/sendgrid/event-webhook.js';
import type { SqlClient } from '../db/sql-client.js';
import type { Clock } from '../curator/ports.js';
import type { FunctionUrlEvent, FunctionUrlResult } from '../handlers/function-url.js';

/** How a family answers an email of each type in the local run: opened, clicked, unsubscribed, reported. */
const behaviour: Readonly<Record<string, { open: number }>> = {
  daily_digest: { open: 0.42 },
  weekly_insights: { open: 0.5 },
  org_health_report: { open: 0.55 },
  crisis_alert: { open: 0.9 },
  early_intervention: { open: 0.7 },
  story_failure: { open: 0.6 },
  asset_timeout: { open: 0.6 },
};
const bounceRate = 0.015;
const secondOpenRate = 0.3;
const clickRate = 0.12;
const unsubscribeRate = 0.002;
const spamReportRate = 0.0004;

/**
 * Uniform draws in [0, 1) that depend only on the message and what is drawn, so a rerun reports the same. The
 * message is named by who got what when (simulated time), not by its execution id: ids are random, and a family
 * whose address bounces by chance would make the local run, and the test of it, differ from one run to the next.
 */
function draws(message: { user_id: string; email_type: string; sent_at: Date | string }): (what: string) => number {
  const key = `${message.user_id}:${message.email_type}:${new Date(message.sent_at).toISOString()}`;
  return (what) => createHash('sha256').update(`${key}:${what}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * What SendGrid's event webhook would report about the emails the curator sent in [from, to) and that nothing has
 * been reported about yet: each delivered or hard-bounced, some opened (some twice), clicked, unsubscribed or
 * reported as spam, at plausible times before `to`, each first Processed (what SendGrid accepted). Every event
 * carries the custom args `execution_id` and `curator_batch_id` (the request's batch), as the real ones do.
 */
export async function sendGridReports(sql: SqlClient, from: Date, to: Date): Promise<Array<Record<string, unknown>>> {
  const sent = await sql.query<{ execution_id: string; user_id: string; email_type: string; provider_message_id: string | null; sent_at: Date | string; email: string | null; batch: string | null }>(
    `select l.execution_id, l.user_id, l.email_type, l.provider_message_id, l.sent_at, u.email, e.request_batch as batch
     from email_delivery_log l left join users u on u.id = l.user_id left join pipeline_executions e on e.id = l.execution_id
     where l.status = 'sent' and l.sent_at >= $1 and l.sent_at < $2 and l.execution_id is not null
     order by l.sent_at, l.user_id, l.email_type`,
    [from, to],
  );
  const last = Math.floor(to.getTime() / 1_000) - 1;
  const events: Array<Record<string, unknown>> = [];
  for (const message of sent) {
    const draw = draws(message);
    const sentAt = Math.floor(new Date(message.sent_at).getTime() / 1_000);
    const at = (offsetSeconds: number) => Math.min(last, sentAt + Math.round(offsetSeconds));
    const event = (kind: string, timestamp: number, extra: Record<string, unknown> = {}) =>
      events.push({
        email: message.email ?? 'unknown@example.invalid',
        timestamp,
        event: kind,
        sg_event_id: `local-${message.execution_id}-${kind}-${events.length}`,
        sg_message_id: message.provider_message_id,
        [customArgs.executionId]: message.execution_id,
        ...(message.batch ? { [customArgs.batch]: message.batch } : {}),
        ...extra,
      });
    event('processed', at(1));
    if (draw('bounce') < bounceRate) {
      event('bounce', at(4), { type: 'bounce', reason: '550 5.1.1 mailbox unknown' });
      continue;
    }
    event('delivered', at(3 + 10 * draw('delivered')));
    if (draw('open') >= (behaviour[message.email_type]?.open ?? 0.5)) continue;
    const openedAt = at(300 + 3 * 3_600 * draw('opened at'));
    event('open', openedAt);
    if (draw('second open') < secondOpenRate) event('open', Math.min(last, openedAt + 600));
    if (draw('click') < clickRate) event('click', Math.min(last, openedAt + 30));
    if (draw('unsubscribe') < unsubscribeRate) event('unsubscribe', Math.min(last, openedAt + 60));
    else if (draw('spamreport') < spamReportRate) event('spamreport', Math.min(last, openedAt + 90));
  }
  return events;
}

/** SendGrid posts events in batches; each batch is one signed request to the webhook. */
export const eventsPerDelivery = 1_000;

/** One delivery as the webhook's function URL receives it, signed as SendGrid signs (ECDSA over timestamp + body). */
export function signedDelivery(events: readonly unknown[], privateKey: KeyObject, at: Date): FunctionUrlEvent {
  const body = JSON.stringify(events);
  const timestamp = String(Math.floor(at.getTime() / 1_000));
  return {
    requestContext: { http: { method: 'POST' } },
    headers: { 'content-type': 'application/json', ...signatureHeaders(privateKey, timestamp, body) },
    body,
  };
}

type WebhookInput = {
  sql: SqlClient;
  webhook: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;
  privateKey: KeyObject;
  clock: Clock;
};

/** Posts events as SendGrid does: signed deliveries of up to 1,000; a refused one fails the local run. */
async function post(input: WebhookInput, events: readonly unknown[]): Promise<void> {
  for (let start = 0; start < events.length; start += eventsPerDelivery) {
    const answer = await input.webhook(signedDelivery(events.slice(start, start + eventsPerDelivery), input.privateKey, input.clock.now()));
    if (answer.statusCode !== 200) throw new Error(`the SendGrid webhook refused a delivery: ${answer.statusCode} ${answer.body}`);
  }
}

/**
 * Reports the emails sent in [from, to) through the webhook as SendGrid would: signed deliveries of up to 1,000
 * events each, to the real handler. A refused delivery fails the local run (it would be lost in production).
 */
export function emailReporter(input: WebhookInput): (from: Date, to: Date) => Promise<void> {
  return async (from, to) => post(input, await sendGridReports(input.sql, from, to));
}

/**
 * A complaint spike as SendGrid would report it: `share` of the digests sent in [from, to) (at least `atLeast`) answered with an
 * unsubscribe or a spam report (alternately) a minute before `at`, in signed deliveries to the real webhook.
 */
export function complaintSpiker(input: WebhookInput): (from: Date, to: Date, share: number, atLeast: number) => Promise<void> {
  return async (from, to, share, atLeast) => {
    const sent = await input.sql.query<{ execution_id: string; user_id: string; email_type: string; sent_at: Date | string; provider_message_id: string | null; email: string | null }>(
      `select l.execution_id, l.user_id, l.email_type, l.sent_at, l.provider_message_id, u.email
       from email_delivery_log l left join users u on u.id = l.user_id
       where l.email_type = 'daily_digest' and l.delivered_at is not null and l.unsubscribed_at is null and l.spam_reported_at is null
         and l.sent_at >= $1 and l.sent_at < $2
       order by l.user_id, l.sent_at`,
      [from, to],
    );
    const now = input.clock.now();
    // The share, but never fewer than `atLeast` (a small local population's 1 % is a handful).
    const wanted = Math.min(sent.length, Math.max(Math.ceil(share * sent.length), atLeast));
    const chosen = [...sent].sort((a, b) => draws(a)('complaint spike') - draws(b)('complaint spike')).slice(0, wanted);
    const events = chosen.map((message, index) => ({
      email: message.email ?? 'unknown@example.invalid',
      timestamp: Math.floor(now.getTime() / 1_000) - 60,
      event: index % 2 === 0 ? 'unsubscribe' : 'spamreport',
      sg_event_id: `local-spike-${message.execution_id}`,
      sg_message_id: message.provider_message_id,
      execution_id: message.execution_id,
    }));
    await post(input, events);
  };
}
