import { afterEach, describe, expect, it } from 'vitest';
import { memoryContinuations } from '../../src/adapters/aws/sqs-continuations.js';
import type { Continuations } from '../../src/curator/ports.js';
import { curatorHarness, replayEvent, scheduledEvent, signalEvent, type Harness } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { faults } from '../support/faults.js';
import { seedDigestPopulation } from '../support/population.js';
import { insertUsers } from '../support/seed.js';

/**
 * A store failure in each kind of held work ends the same way, because one lifecycle owns them all: the run ends
 * failed with the error, its lease released, and a redelivery of the same event completes the work without
 * sending anything twice.
 */

const firing = new Date('2026-11-23T20:00:00Z');
const failure = 'Connection terminated unexpectedly';
let db: TestDatabase | undefined;

afterEach(async () => {
  await db?.close();
  db = undefined;
});

const sqs = (event: unknown, id: string) => ({ Records: [{ messageId: id, body: JSON.stringify(event), eventSource: 'aws:sqs' }] });

/** One kind of held work: how it is delivered the first time (the store failing midway), and again. */
interface Kind {
  readonly curator: Harness;
  readonly runWhere: string;
  /** Delivers the work; the store fails recording the second page's decisions. */
  deliver(): Promise<void>;
  /** What a failed delivery leaves before it is delivered again (a shard: the other shards finishing the run). */
  settle?(): Promise<void>;
  redeliver(): Promise<void>;
  readonly expectedEmails: number;
}

async function digestCurator() {
  db = await openTestDatabase();
  await seedDigestPopulation(db.sql, firing, { engaged: 23, idle: 4, lukewarm: 3, optedOut: 2, suppressed: 1 });
  const injected = faults();
  const curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 4, faults: injected });
  return { curator, injected };
}

const kinds: Record<string, () => Promise<Kind>> = {
  async 'a scheduled run'() {
    const { curator, injected } = await digestCurator();
    const event = scheduledEvent('daily_digest', firing);
    return {
      curator,
      runWhere: `job_type = 'daily_digest'`,
      expectedEmails: 23,
      async deliver() {
        injected.fail('curator_record_decisions', { after: 1 });
        await expect(curator.handler(event)).rejects.toThrow(failure);
      },
      async redeliver() {
        await curator.handler(event);
      },
    };
  },

  async 'a replay of held digests'() {
    const { curator, injected } = await digestCurator();
    curator.switches.set('daily-digest/enabled', 'false');
    await curator.handler(scheduledEvent('daily_digest', firing));
    curator.switches.set('daily-digest/enabled', 'true');
    curator.clock.advance(30 * 60_000);
    const event = replayEvent({ jobType: 'daily_digest', vetoReason: 'KILL_SWITCH_ACTIVE', from: '2026-11-23T19:00:00Z', to: '2026-11-23T20:30:00Z' }, 'ops-replay-1');
    return {
      curator,
      runWhere: `period_key like 'replay:%'`,
      expectedEmails: 23,
      async deliver() {
        injected.fail('curator_record_decisions', { after: 1 });
        await expect(curator.handler(event)).rejects.toThrow(failure);
      },
      async redeliver() {
        await curator.handler(event);
      },
    };
  },

  async 'a replay of held signals'() {
    db = await openTestDatabase();
    const families = await insertUsers(db.sql, 5);
    const injected = faults();
    const curator = curatorHarness(db, { start: new Date('2026-11-23T20:00:00Z'), pageSize: 2, faults: injected });
    curator.switches.set('crisis-alert/enabled', 'false');
    for (const [index, userId] of families.entries()) {
      await curator.handler(
        signalEvent({ signalId: `held-${index}`, jobType: 'crisis_alert', userId, confidence: 0.99, signalCount: 1, eventTimestamp: '2026-11-23T19:59:00Z' }),
      );
    }
    curator.switches.set('crisis-alert/enabled', 'true');
    curator.clock.advance(60_000);
    const event = replayEvent({ jobType: 'crisis_alert', vetoReason: 'KILL_SWITCH_ACTIVE', from: '2026-11-23T19:00:00Z', to: '2026-11-23T20:01:00Z' }, 'ops-replay-2');
    return {
      curator,
      runWhere: `job_type = 'crisis_alert'`,
      expectedEmails: 5,
      async deliver() {
        injected.fail('curator_record_decisions', { after: 1 });
        await expect(curator.handler(event)).rejects.toThrow(failure);
      },
      async redeliver() {
        await curator.handler(event);
      },
    };
  },

  async 'a shard'() {
    const { curator, injected } = await digestCurator();
    const queue = memoryContinuations();
    (curator.deps as { continuations?: Continuations }).continuations = queue;
    (curator.deps as { config: object }).config = { ...curator.deps.config, shardSize: 17 };
    await curator.handler(scheduledEvent('daily_digest', firing));
    const [first, ...others] = queue.queued.splice(0);
    return {
      curator,
      runWhere: `job_type = 'daily_digest'`,
      expectedEmails: 23,
      async deliver() {
        injected.fail('curator_record_decisions', { after: 1 });
        expect(await curator.handler(sqs(first, 'shard-0'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'shard-0' }] });
      },
      async settle() {
        for (const [index, other] of others.entries()) await curator.handler(sqs(other, `shard-${index + 1}`));
      },
      async redeliver() {
        expect(await curator.handler(sqs(first, 'shard-0-again'))).toEqual({ batchItemFailures: [] });
      },
    };
  },

  async 'a continuation'() {
    const { curator, injected } = await digestCurator();
    const queue = memoryContinuations();
    (curator.deps as { continuations?: Continuations }).continuations = queue;
    (curator.deps as { config: object }).config = { ...curator.deps.config, continuationMarginMs: 10_000 };
    let pagesLeft = 2;
    await curator.handler(scheduledEvent('daily_digest', firing), { getRemainingTimeInMillis: () => (pagesLeft-- > 0 ? 300_000 : 5_000) });
    const [continuation] = queue.queued.splice(0);
    return {
      curator,
      runWhere: `job_type = 'daily_digest'`,
      expectedEmails: 23,
      async deliver() {
        injected.fail('curator_record_decisions', { after: 1 });
        expect(await curator.handler(sqs(continuation, 'continue'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'continue' }] });
      },
      async redeliver() {
        expect(await curator.handler(sqs(continuation, 'continue-again'))).toEqual({ batchItemFailures: [] });
      },
    };
  },
};

describe('a store failure in held work', () => {
  it.each(Object.keys(kinds))('in %s ends it failed with the error and released; its redelivery completes it without resending', async (kind) => {
    const work = await kinds[kind]!();
    const run = async () =>
      (await db!.sql.query<Record<string, unknown>>(`select status, error, lease_owner from pipeline_runs where ${work.runWhere}`))[0];

    await work.deliver();
    await work.settle?.();
    expect(await run()).toMatchObject({ status: 'failed', lease_owner: null, error: expect.stringContaining(failure) });
    const [pending] = await db!.sql.query<{ n: number }>(`select count(*)::int as n from pipeline_executions where status = 'pending'`);
    expect(pending!.n).toBe(0);

    await work.redeliver();
    expect(await run()).toMatchObject({ status: 'succeeded', lease_owner: null, error: null });
    const left = await db!.sql.query(`select status from pipeline_executions where status in ('pending', 'unknown', 'failed')`);
    expect(left).toEqual([]);
    const sent = work.curator.mailer.sent.map((email) => `${email.userId}:${email.templateData.signal_id ?? email.emailType}`);
    expect(sent).toHaveLength(work.expectedEmails);
    expect(new Set(sent).size).toBe(work.expectedEmails);
  });
});
