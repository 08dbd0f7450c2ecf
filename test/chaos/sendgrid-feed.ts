import { generateKeyPairSync } from 'node:crypto';
import { manualClock } from '../../src/adapters/clock.js';
import { jsonLogger } from '../../src/adapters/json-logger.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';
import type { SqlClient } from '../../src/db/sql-client.js';
import { createSendGridWebhookHandler } from '../../src/handlers/sendgrid-webhook.js';
import { publicKeyOf } from '../../src/adapters/sendgrid/event-webhook.js';
import { signedDelivery } from '../../src/local/sendgrid-events.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import type { fakeSendGrid } from '../support/fake-providers.js';

/** How SendGrid's events reach the curator in a trial. */
export type EvidenceMode =
  /** Processed and Delivered for every accepted message, within half a minute. */
  | 'in time'
  /** The events of the requests a crash left in doubt come only after the settlement (past the grace window). */
  | 'delayed'
  /** In small deliveries, shuffled across batches, timestamps out of order. */
  | 'out of order'
  /** The webhook answers 5xx for ten minutes; SendGrid keeps what it refused and posts it again after. */
  | 'webhook 5xx'
  /** Processed is not enabled in SendGrid's settings: only Delivered comes. */
  | 'processed off';

type Event = Record<string, unknown>;

/**
 * SendGrid's event webhook for the crash-and-fault suite: the events of every request the fake SendGrid accepted
 * (and none for what it never received), as signed deliveries to the real webhook handler over the suite's database,
 * at the suite's simulated times. What a delivery the webhook refused held is posted again later, as SendGrid retries.
 */
export function sendGridFeed(input: { sql: SqlClient; sendgrid: Awaited<ReturnType<typeof fakeSendGrid>>; random: () => number }) {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const clock = manualClock(new Date(0));
  const metrics = memoryMetrics();
  const webhook = createSendGridWebhookHandler(async () => ({
    store: new CuratorStore(sqlTransport(input.sql)),
    metrics,
    logger: jsonLogger(() => undefined),
    clock,
    publicKey: publicKeyOf(publicKey.export({ format: 'der', type: 'spki' }).toString('base64')),
    toleranceSeconds: 300,
  }));
  let read = 0;
  let number = 0;
  /** Events SendGrid has to post: new ones, and those of refused deliveries. */
  let waiting: Event[] = [];
  /** Events held back until `release` (the delayed trial). */
  let held: Event[] = [];
  const figures = { deliveries: 0, refused: 0, lateEvidence: 0 };

  /** The events of the requests accepted since the last look. */
  function fresh(atMs: number, mode: EvidenceMode): Event[] {
    const requests = input.sendgrid.requests.slice(read);
    read = input.sendgrid.requests.length;
    return requests
      .filter((request) => request.accepted)
      .flatMap((request) => request.body.personalizations ?? [])
      .flatMap((personalization) => {
        const args = (personalization.custom_args ?? {}) as Record<string, string>;
        const event = (kind: string, offsetSeconds: number): Event => {
          number += 1;
          return {
            email: personalization.to?.[0]?.email ?? 'unknown@example.invalid',
            timestamp: Math.floor(atMs / 1_000) - offsetSeconds,
            event: kind,
            sg_event_id: `chaos-${number}`,
            sg_message_id: `chaos-message-${args.execution_id}`,
            ...args,
          };
        };
        const jitter = mode === 'out of order' ? Math.floor(input.random() * 25) : 0;
        return mode === 'processed off' ? [event('delivered', 20 - jitter)] : [event('processed', 28 - jitter), event('delivered', 20 - jitter)];
      });
  }

  async function post(events: Event[], atMs: number, size: number): Promise<void> {
    for (let start = 0; start < events.length; start += size) {
      const delivery = events.slice(start, start + size);
      clock.set(new Date(atMs));
      figures.deliveries += 1;
      const answer = await webhook(signedDelivery(delivery, privateKey, clock.now()));
      if (answer.statusCode !== 200) throw new Error(`the webhook refused a signed delivery: ${answer.statusCode} ${answer.body}`);
      figures.lateEvidence += (JSON.parse(answer.body) as { late_evidence: number }).late_evidence;
    }
  }

  return {
    figures,
    /**
     * SendGrid posts what it has at `atMs`: the events of what it accepted since, and what the webhook refused
     * before. During an outage the webhook answers 5xx and SendGrid keeps it all for later. Events of the
     * `hold` batches are kept back until {@link release}.
     */
    async deliver(atMs: number, mode: EvidenceMode, options: { outage?: readonly [number, number]; hold?: ReadonlySet<string> } = {}): Promise<void> {
      const events = [...waiting, ...fresh(atMs, mode)];
      waiting = [];
      const kept = events.filter((event) => options.hold?.has(String(event.curator_batch_id)));
      held.push(...kept);
      const now = events.filter((event) => !kept.includes(event));
      if (now.length === 0) return;
      if (options.outage && atMs >= options.outage[0] && atMs < options.outage[1]) {
        // The function answers 502: nothing applied, and SendGrid posts the delivery again later.
        figures.refused += 1;
        waiting = now;
        return;
      }
      if (mode === 'out of order') {
        const shuffled = [...now].sort(() => input.random() - 0.5);
        await post(shuffled, atMs, 7);
      } else await post(now, atMs, 1_000);
    },
    /** The held-back events come after all: posted at `atMs`. */
    async release(atMs: number): Promise<void> {
      const late = held;
      held = [];
      await post(late, atMs, 1_000);
    },
  };
}
