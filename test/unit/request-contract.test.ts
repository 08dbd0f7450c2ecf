import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { manualClock } from '../../src/adapters/clock.js';
import { ledgerPayments } from '../../src/adapters/local/ledger-payments.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';
import { memorySwitches } from '../../src/adapters/local/switches.js';
import { opsSummaryEvent, replayEvent, whatIfEvent } from '../../src/events/curator-events.js';
import { parseCuratorEvent } from '../../src/events/parse-curator-event.js';
import { createCuratorHandler } from '../../src/handlers/curator.js';
import { runJob } from '../../src/runner/run-job.js';
import type { CuratorDeps } from '../../src/runner/deps.js';
import type { CuratorStore } from '../../src/store/curator-store.js';
import { recordingMailer } from '../support/curator-harness.js';

const now = new Date('2026-12-06T21:00:00Z');
const agent = (detail: Record<string, unknown>) => ({ source: 'storytailor.agent', 'detail-type': 'Emotional Signal', detail });
const refusal = (event: unknown, options: { delivery?: 'direct' | 'work_queue' } = {}) => {
  const parsed = parseCuratorEvent(event, { now, ...options });
  return parsed.ok ? null : parsed.error;
};

describe('the request contract: who may ask for which job', () => {
  it('refuses an ops summary or a what-if sent from the app, which the realtime rule lets through', () => {
    expect(refusal(agent({ jobType: 'ops_summary', scheduledTime: '2026-12-07T09:00:00Z' }))).toBe(
      'source: ops_summary is asked for only by a direct invocation, not by storytailor.agent',
    );
    expect(refusal(agent({ jobType: 'what_if', scope: 'all', changes: { 'email-cap-24h': '1' }, days: 7 }))).toMatch(/^source: what_if is asked for only by a direct invocation/);
    expect(refusal({ ...replayEvent({ jobType: 'daily_digest' }), detail: { jobType: 'ops_summary' } })).toMatch(/^source: ops_summary .* not by storytailor\.manual/);
    // The Scheduler's and ops' own direct invocations carry no source.
    expect(refusal(opsSummaryEvent('2026-12-06T09:00:00Z'))).toBeNull();
    expect(refusal(whatIfEvent({ scope: 'all', changes: { 'email-cap-24h': '1' }, days: 7 }))).toBeNull();
  });

  it('takes the health check directly or from storytailor.health-check (the guide\'s daily test), and from nobody else', () => {
    expect(refusal({ detail: { jobType: 'health' } })).toBeNull();
    expect(refusal({ source: 'storytailor.health-check', 'detail-type': 'health', detail: { jobType: 'health' } })).toBeNull();
    expect(refusal(agent({ jobType: 'health' }))).toMatch(/^source: health is asked for only by a direct invocation or storytailor\.health-check, not by storytailor\.agent/);
  });

  it('names an unknown source by its length, never echoing it into the log line', () => {
    const error = refusal({ source: 'parent@example.com', 'detail-type': 'retry', detail: { jobType: 'daily_digest', retry: true } });
    expect(error).toMatch(/^source: expected one of .*; got an unknown source \(18 characters\)$/);
    expect(error).not.toContain('parent@example.com');
    expect(refusal({ source: 'parent@example.com', detail: { jobType: 'ops_summary' } })).not.toContain('parent@example.com');
    expect(refusal({ source: { token: 'sk_live_x' }, detail: { jobType: 'health' } })).toBe('source: expected a string naming the sender, got an unknown source (not a string but an object)');
  });
});

describe('the request contract: nothing from the future', () => {
  it('refuses an ops summary dated tomorrow or in 2099, and takes today\'s', () => {
    expect(refusal(opsSummaryEvent('2026-12-07T09:00:00Z'))).toMatch(/^detail\.scheduledTime: 2026-12-07T09:00:00\.000Z is later than the curator's clock .*an ops summary cannot come from the future/);
    expect(refusal(opsSummaryEvent('2099-01-01T09:00:00Z'))).toMatch(/^detail\.scheduledTime: /);
    expect(refusal(opsSummaryEvent('2026-12-06T21:04:00Z'))).toBeNull();
  });

  it('refuses a replay of a period whose firing is not yet due, and lets a dry run look ahead', () => {
    expect(refusal(replayEvent({ jobType: 'daily_digest', periodKey: '2026-12-07' }))).toBe(
      'detail.periodKey: 2026-12-07 of daily_digest is not due until its firing at 2026-12-07T20:00:00.000Z; a replay cannot run a period ahead of it (a dry run can)',
    );
    // Today's digest fires at 20:00: due an hour ago.
    expect(refusal(replayEvent({ jobType: 'daily_digest', periodKey: '2026-12-06' }))).toBeNull();
    expect(refusal(replayEvent({ jobType: 'weekly_insights', periodKey: '2026-W50' }))).toMatch(/not due until its firing at 2026-12-13T18:00:00/);
    expect(refusal(replayEvent({ jobType: 'daily_digest', periodKey: '2026-12-07', dryRun: true }))).toBeNull();
  });
});

describe('the request contract: real periods', () => {
  it.each([
    ['daily_digest', '2026-02-30', '2026-02-30 is not a period of daily_digest (daily)'],
    ['daily_digest', '2026-13-01', '2026-13-01 is not a period of daily_digest (daily)'],
    ['daily_digest', '2026-W49', '2026-W49 is not a period of daily_digest (daily)'],
    ['weekly_insights', '2026-11-22', '2026-11-22 is not a period of weekly_insights (weekly)'],
    ['org_health_report', '2026-W49', '2026-W49 is not a period of org_health_report (monthly)'],
    ['crisis_alert', '2026-12-01', 'crisis_alert is realtime and has no periods; replay it by vetoReason and time range'],
  ])('refuses a replay of %s for %s', (jobType, periodKey, reason) => {
    expect(refusal(replayEvent({ jobType: jobType as 'daily_digest', periodKey }))).toBe(`detail.periodKey: ${reason}`);
  });
});

describe('the request contract: replay ranges', () => {
  const held = (from: string | undefined, to: string | undefined) => replayEvent({ jobType: 'daily_digest', vetoReason: 'KILL_SWITCH_ACTIVE', from, to });

  it.each([
    ['2026-12-05T00:00:00Z', '2026-12-04T00:00:00Z', /^detail\.from: 2026-12-05T00:00:00\.000Z must be before detail\.to/],
    ['2026-12-05T00:00:00Z', '2026-12-08T00:00:00Z', /^detail\.to: 2026-12-08T00:00:00\.000Z is later than the curator's clock/],
    ['2026-10-01T00:00:00Z', '2026-12-06T00:00:00Z', /^detail\.from: the range .* is longer than 31 days; replay it in parts/],
    ['2026-08-01T00:00:00Z', '2026-08-20T00:00:00Z', /^detail\.from: 2026-08-01T00:00:00\.000Z is more than 90 days ago/],
    [undefined, '2026-12-08T00:00:00Z', /^detail\.to: .* later than the curator's clock/],
  ])('refuses from %s to %s', (from, to, message) => {
    expect(refusal(held(from, to))).toMatch(message);
  });

  it('takes a range within a month of the last 90 days, and defaults to the last week', () => {
    expect(refusal(held('2026-11-06T21:00:00Z', '2026-12-06T21:00:00Z'))).toBeNull();
    expect(refusal(held(undefined, undefined))).toBeNull();
    expect(refusal(replayEvent({ jobType: 'crisis_alert', vetoReason: 'SLA_MISSED' }))).toBeNull();
  });

  it('lets the curator\'s own continuation of a replay begun at the edge of retention go on', () => {
    const edge = held('2026-09-07T20:00:00Z', '2026-09-14T20:00:00Z');
    expect(refusal(edge)).toMatch(/more than 90 days ago/);
    expect(refusal(edge, { delivery: 'work_queue' })).toBeNull();
  });

  it('refuses a period and a veto reason together', () => {
    expect(refusal(replayEvent({ jobType: 'daily_digest', periodKey: '2026-12-01', vetoReason: 'KILL_SWITCH_ACTIVE' }))).toBe(
      'detail.periodKey: give either a periodKey or a vetoReason and time range, not both',
    );
  });
});

describe('the runner asks the same contract', () => {
  const untouchable = new Proxy({}, { get: () => () => Promise.reject(new Error('the store must not be called')) }) as CuratorStore;
  const deps = (): CuratorDeps => ({
    store: untouchable,
    switches: memorySwitches(),
    metrics: memoryMetrics(),
    mailer: recordingMailer(),
    payments: ledgerPayments(null),
    clock: manualClock(now),
    logger: memoryLogger(),
    config: { environment: 'staging', pageSize: 10, leaseSeconds: 60, owner: 'x', templates: {} },
  });

  it('refuses a future period or a future ops summary before it touches the database', async () => {
    const replay = { kind: 'replay', jobType: 'daily_digest', periodKey: '2026-12-07', userIds: null, vetoReason: null, from: null, to: null, eventId: null, dryRun: false } as const;
    await expect(runJob(deps(), replay)).rejects.toThrow('detail.periodKey: 2026-12-07 of daily_digest is not due until');
    await expect(runJob(deps(), { kind: 'ops_summary', scheduledTime: new Date('2099-01-01T09:00:00Z') })).rejects.toThrow(/^detail\.scheduledTime: /);
  });

  it('logs a refused event with its field and reason, and counts it', async () => {
    const made = deps();
    const handler = createCuratorHandler(async () => made);
    const result = await handler(agent({ jobType: 'ops_summary', scheduledTime: '2026-12-07T09:00:00Z' }));
    expect(result).toEqual({ ok: false, error: 'source: ops_summary is asked for only by a direct invocation, not by storytailor.agent' });
    expect((made.logger as ReturnType<typeof memoryLogger>).lines).toMatchObject([{ level: 'ERROR', message: 'invalid event', field: 'source' }]);
    expect((made.metrics as ReturnType<typeof memoryMetrics>).total('InvalidEvents')).toBe(1);
  });
});
