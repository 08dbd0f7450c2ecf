import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendGridMailer } from '../../src/adapters/sendgrid/sendgrid-mailer.js';
import type { Mailer } from '../../src/curator/ports.js';
import { opsSummaryEvent } from '../../src/events/curator-events.js';
import { curatorHarness, replayEvent, scheduledEvent, type Harness, tallyOf } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { fakeSendGrid } from '../support/fake-providers.js';
import { executionsBySubject, seedDigestPopulation } from '../support/population.js';

const firing = new Date('2026-11-23T20:00:00Z');
const fastRetries = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50 };

let db: TestDatabase;
let sendgrid: Awaited<ReturnType<typeof fakeSendGrid>>;

function curatorWith(mailer: Mailer, options: { canary?: string[]; pageSize?: number } = {}): Harness {
  const curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: options.pageSize ?? 1_000 });
  (curator.deps as { mailer: Mailer }).mailer = mailer;
  (curator.deps as { config: object }).config = {
    ...curator.deps.config,
    templates: { daily_digest: 'd-digest-template' },
    canaryRecipients: options.canary ?? [],
  };
  return curator;
}

const mailerFor = (timeoutMs = 5_000) =>
  sendGridMailer({ apiKey: 'SG.test-key', from: { email: 'hello@storytailor.test', name: 'Storytailor' }, baseUrl: sendgrid.url, retry: fastRetries, timeoutMs });

beforeEach(async () => {
  db = await openTestDatabase();
  sendgrid = await fakeSendGrid();
});
afterEach(async () => {
  await sendgrid.close();
  await db?.close();
});

describe("the daily digest through SendGrid's client", () => {
  it('reaches 2,500 families in 3 requests, each recipient with their own data and execution id', async () => {
    await seedDigestPopulation(db.sql, firing, { engaged: 2_500, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0, inactive: 0 });
    const summary = await curatorWith(mailerFor()).handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(summary).emailsSent).toBe(2_500);
    expect(sendgrid.requests.map((request) => request.body.personalizations.length).sort((a, b) => a - b)).toEqual([500, 1_000, 1_000]);
    expect(sendgrid.requests.every((request) => request.body.template_id === 'd-digest-template' && request.authorization === 'Bearer SG.test-key')).toBe(true);
    expect(sendgrid.requests.every((request) => JSON.stringify(request.body.from) === '{"email":"hello@storytailor.test","name":"Storytailor"}')).toBe(true);

    const logged = await db.sql.query<{ execution_id: string; user_id: string; status: string; provider_message_id: string }>(
      `select l.execution_id, l.user_id, l.status, l.provider_message_id from email_delivery_log l`,
    );
    expect(logged).toHaveLength(2_500);
    expect(new Set(logged.map((row) => row.status))).toEqual(new Set(['sent']));
    expect(new Set(logged.map((row) => row.provider_message_id))).toEqual(new Set(['sg-message-1', 'sg-message-2', 'sg-message-3']));
    const byExecution = new Map(logged.map((row) => [row.execution_id, row]));
    const personalizations = sendgrid.accepted();
    expect(new Set(personalizations.map((p) => p.custom_args.execution_id))).toEqual(new Set(byExecution.keys()));
    const [first] = personalizations;
    expect(first).toMatchObject({ to: [{ email: expect.stringMatching(/@families\.test$/) }], custom_args: { email_type: 'daily_digest' } });
    expect(first!.dynamic_template_data).toMatchObject({ first_name: 'Parent', period_key: '2026-11-23', stories_read: 1 });
    // Each recipient names its request's batch, so SendGrid's events about it can settle an unknown outcome.
    const batches = await db.sql.query<{ id: string; request_batch: string }>(`select id, request_batch from pipeline_executions`);
    const batchOf = new Map(batches.map((row) => [row.id, row.request_batch]));
    expect(personalizations.every((p) => p.custom_args.curator_batch_id === batchOf.get(p.custom_args.execution_id as string))).toBe(true);
  });

  it('retries 429 and 5xx, honouring Retry-After, and sends each email once', async () => {
    await seedDigestPopulation(db.sql, firing, { engaged: 5, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
    sendgrid.script.push({ status: 429, headers: { 'retry-after': '0' } }, { status: 503 });
    const summary = await curatorWith(mailerFor()).handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(summary)).toMatchObject({ executed: 5, failed: 0 });
    expect(sendgrid.requests).toHaveLength(3);
    const [row] = await db.sql.query(`select count(*)::int as n from email_delivery_log where status = 'sent' and attempts = 1`);
    expect(row).toEqual({ n: 5 });
  });

  it('fails a batch at once on a 4xx, with SendGrid error, and a replay sends only what failed', async () => {
    await seedDigestPopulation(db.sql, firing, { engaged: 6, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
    sendgrid.script.push({ status: 400, body: { errors: [{ field: 'template_id', message: 'The template_id must be a valid GUID' }] } });
    const curator = curatorWith(mailerFor(), { pageSize: 3 });
    const first = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(first)).toMatchObject({ executed: 3, failed: 3 });
    expect(sendgrid.requests).toHaveLength(2);
    const failed = await db.sql.query<{ error: string }>(`select error from email_delivery_log where status = 'failed'`);
    expect(failed).toHaveLength(3);
    expect(failed[0]!.error).toBe('SendGrid 400: template_id: The template_id must be a valid GUID');

    const sentBefore = new Set(sendgrid.accepted().slice(3).map((p) => p.custom_args.execution_id));
    const replay = await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey: '2026-11-23' }));
    expect(tallyOf(replay)).toMatchObject({ executed: 3, skipped: 3 });
    const resent = sendgrid.requests.at(-1)!.body.personalizations.map((p) => p.custom_args.execution_id);
    expect(resent).toHaveLength(3);
    expect(resent.some((id: string) => sentBefore.has(id))).toBe(false);
    const rows = await executionsBySubject(db.sql, 'daily_digest', '2026-11-23');
    expect(rows.every((row) => row.n === 1 && row.status === 'succeeded')).toBe(true);
  });

  it('does not resend a digest whose request timed out after it left', async () => {
    await seedDigestPopulation(db.sql, firing, { engaged: 2, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
    sendgrid.script.push({ status: 202, delayMs: 1_000 });
    const curator = curatorWith(mailerFor(150));
    const first = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(first).unknown).toBe(2);
    await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey: '2026-11-23' }));
    expect(sendgrid.requests).toHaveLength(1);
    const statuses = await db.sql.query(`select e.status, l.status as email from pipeline_executions e join email_delivery_log l on l.execution_id = e.id`);
    expect(statuses).toEqual([
      { status: 'unknown', email: 'queued' },
      { status: 'unknown', email: 'queued' },
    ]);
  });

  it('sends to the canary list first, and stops the run when the canary fails', async () => {
    await seedDigestPopulation(db.sql, firing, { engaged: 4, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
    sendgrid.script.push({ status: 400, body: { errors: [{ message: 'The template does not exist' }] } });
    const curator = curatorWith(mailerFor(), { canary: ['qa@storytailor.test'] });
    await expect(curator.handler(scheduledEvent('daily_digest', firing))).rejects.toThrow(/canary send failed .*no family was emailed/);
    expect(sendgrid.requests).toHaveLength(1);
    expect(sendgrid.requests[0]!.body.personalizations).toMatchObject([{ to: [{ email: 'qa@storytailor.test' }] }]);
    const [run] = await db.sql.query(`select status, error from pipeline_runs`);
    expect(run).toMatchObject({ status: 'failed', error: expect.stringContaining('canary send failed') });
    expect(await db.sql.query(`select * from email_delivery_log`)).toHaveLength(0);

    const healthy = curatorWith(mailerFor(), { canary: ['qa@storytailor.test'] });
    const replay = await healthy.handler(replayEvent({ jobType: 'daily_digest', periodKey: '2026-11-23' }));
    expect(tallyOf(replay).executed).toBe(4);
    expect(sendgrid.requests.map((request) => request.body.personalizations.length)).toEqual([1, 1, 4]);
  });
});

describe("the morning ops summary through SendGrid's client", () => {
  it('sends one rendered email to every address of the ops list, each apart; a refused send is claimed again by the retry', async () => {
    const curator = curatorWith(mailerFor());
    (curator.deps as { config: object }).config = { ...curator.deps.config, opsSummaryRecipients: ['ops@storytailor.test', 'lead@storytailor.test'] };
    const morning = new Date('2026-11-24T09:00:00Z');
    curator.clock.set(morning);
    sendgrid.script.push({ status: 400, body: { errors: [{ field: 'content', message: 'refused for the test' }] } });
    await expect(curator.opsSummary(opsSummaryEvent(morning.toISOString()))).rejects.toThrow(/ops summary of 2026-11-23 was refused: SendGrid 400: content: refused for the test/);
    expect(await db.sql.query(`select status, error from ops_summaries`)).toEqual([{ status: 'failed', error: 'SendGrid 400: content: refused for the test' }]);

    expect(await curator.opsSummary(opsSummaryEvent(morning.toISOString()))).toMatchObject({ status: 'succeeded', summaryDate: '2026-11-23' });
    expect(await curator.opsSummary(opsSummaryEvent(morning.toISOString()))).toMatchObject({ status: 'skipped' });
    expect(sendgrid.requests).toHaveLength(2);
    const body = sendgrid.requests[1]!.body as unknown as { subject: string; categories: string[]; template_id?: string; personalizations: unknown[]; content: Array<{ type: string; value: string }> };
    expect(body.template_id).toBeUndefined();
    expect(body.categories).toEqual(['ops_summary']);
    expect(body.subject).toMatch(/^Storytailor staging ops summary 2026-11-23: /);
    expect(body.personalizations).toEqual([{ to: [{ email: 'ops@storytailor.test' }] }, { to: [{ email: 'lead@storytailor.test' }] }]);
    expect(body.content.map((part) => part.type)).toEqual(['text/plain', 'text/html']);
    expect(await db.sql.query(`select status, attempts, provider_message_id from ops_summaries`)).toEqual([{ status: 'sent', attempts: 2, provider_message_id: 'sg-message-1' }]);
    expect(await db.sql.query(`select * from email_delivery_log`)).toHaveLength(0);
  });
});
