import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqsContinuations } from '../../src/adapters/aws/sqs-continuations.js';
import type { Continuations } from '../../src/curator/ports.js';
import { curatorHarness, scheduledEvent } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { describeWithMoto, motoClientConfig } from '../support/moto.js';
import { executionsBySubject, seedDigestPopulation } from '../support/population.js';

const region = 'eu-central-1';
const firing = new Date('2026-11-23T20:00:00Z');
let db: TestDatabase;

describeWithMoto('continuations through the SQS work queue', () => {
  beforeAll(async () => {
    db = await openTestDatabase();
    await seedDigestPopulation(db.sql, firing, { engaged: 9, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('carry the run from one invocation to the next until every family is decided', async () => {
    const sqs = new SQSClient(motoClientConfig(region));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'storytailor-curator-work-staging' }));
    const curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 2 });
    (curator.deps as { continuations?: Continuations }).continuations = sqsContinuations(sqs, QueueUrl!);
    (curator.deps as { config: object }).config = { ...curator.deps.config, continuationMarginMs: 10_000, pagesInFlight: 1 };
    const shortLived = () => {
      let checks = 1;
      return { getRemainingTimeInMillis: () => (checks-- > 0 ? 300_000 : 1_000) };
    };

    let answer: unknown = await curator.handler(scheduledEvent('daily_digest', firing), shortLived());
    expect(answer).toMatchObject({ status: 'continued' });
    for (let round = 0; round < 10; round += 1) {
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
      const [message] = received.Messages ?? [];
      if (!message) break;
      answer = await curator.handler({ Records: [{ messageId: message.MessageId!, body: message.Body!, eventSource: 'aws:sqs' }] }, shortLived());
      expect(answer).toEqual({ batchItemFailures: [] });
    }
    const rows = await executionsBySubject(db.sql, 'daily_digest', '2026-11-23');
    expect(rows).toHaveLength(9);
    expect(rows.every((row) => row.n === 1 && row.status === 'succeeded')).toBe(true);
    expect(curator.mailer.sent).toHaveLength(9);
  });

  it('carry a split run: one message per shard, taken concurrently, every family decided once', async () => {
    const sqs = new SQSClient(motoClientConfig(region));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'storytailor-curator-shards-staging' }));
    const nextDay = new Date(firing.getTime() + 2 * 86_400_000);
    await seedDigestPopulation(db.sql, nextDay, { engaged: 14, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
    const curator = curatorHarness(db, { start: new Date(nextDay.getTime() + 1_000), pageSize: 2 });
    (curator.deps as { continuations?: Continuations }).continuations = sqsContinuations(sqs, QueueUrl!);
    (curator.deps as { config: object }).config = { ...curator.deps.config, shardSize: 2 };

    // 9 families from before (no longer read) and 14 reading now: 23 active, in twelve shards of two (SendMessageBatch
    // takes ten, so the fan-out needs two requests).
    expect(await curator.handler(scheduledEvent('daily_digest', nextDay))).toMatchObject({ status: 'fanned_out', shards: 12 });
    let shardsRun = 0;
    for (let round = 0; round < 10; round += 1) {
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = received.Messages ?? [];
      if (messages.length === 0) break;
      const answers = await Promise.all(
        messages.map((message) => curator.handler({ Records: [{ messageId: message.MessageId!, body: message.Body!, eventSource: 'aws:sqs' }] })),
      );
      expect(answers.every((answer) => JSON.stringify(answer) === '{"batchItemFailures":[]}')).toBe(true);
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));
      shardsRun += messages.length;
    }
    expect(shardsRun).toBe(12);
    const rows = await executionsBySubject(db.sql, 'daily_digest', '2026-11-25');
    expect(rows).toHaveLength(23);
    expect(rows.every((row) => row.n === 1)).toBe(true);
    expect(rows.filter((row) => row.status === 'succeeded')).toHaveLength(14);
    const [run] = await db.sql.query(`select status, candidates, executed, shards from pipeline_runs where period_key = '2026-11-25'`);
    expect(run).toEqual({ status: 'succeeded', candidates: 23, executed: 14, shards: 12 });
  });
});
