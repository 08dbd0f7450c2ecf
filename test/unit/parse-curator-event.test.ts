import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';
import { memorySwitches } from '../../src/adapters/local/switches.js';
import { manualClock } from '../../src/adapters/clock.js';
import { ledgerPayments } from '../../src/adapters/local/ledger-payments.js';
import { createCuratorHandler } from '../../src/handlers/curator.js';
import { parseCuratorEvent } from '../../src/events/parse-curator-event.js';
import { ConfigError, loadConfig } from '../../src/wiring/config.js';
import type { CuratorDeps } from '../../src/runner/deps.js';
import type { CuratorStore } from '../../src/store/curator-store.js';
import { recordingMailer } from '../support/curator-harness.js';

const signal = (detail: Record<string, unknown>) => ({
  source: 'storytailor.agent',
  'detail-type': 'Emotional Signal',
  detail: {
    signalId: 'sig-1',
    jobType: 'crisis_alert',
    userId: '3f2b8f9e-4c1a-4b7e-9d55-2a1c8e7f6b10',
    confidence: 0.97,
    signalCount: 1,
    eventTimestamp: '2026-11-23T20:00:00+01:00',
    ...detail,
  },
});

describe('parseCuratorEvent', () => {
  it('reads the shard events the curator queues for itself, and names what is wrong with a bad one', () => {
    const runId = '3f2b8f9e-4c1a-4b7e-9d55-2a1c8e7f6b10';
    const shard = (detail: Record<string, unknown>) => ({
      source: 'storytailor.curator',
      'detail-type': 'Run Shard',
      time: '2026-11-23T20:00:00Z',
      detail: { jobType: 'daily_digest', runId, shard: 3, generation: 1, periodKey: '2026-11-23', ...detail },
    });
    expect(parseCuratorEvent(shard({}))).toEqual({
      ok: true,
      request: {
        kind: 'shard',
        jobType: 'daily_digest',
        runId,
        shard: 3,
        generation: 1,
        periodKey: '2026-11-23',
        scheduledTime: new Date('2026-11-23T20:00:00Z'),
      },
    });
    const bad = parseCuratorEvent(shard({ shard: -1, jobType: 'crisis_alert' }));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/detail\.jobType.*detail\.shard|detail\.shard.*detail\.jobType/);
  });

  it('reads the check of a crisis alert the curator queues for itself, and refuses one from anyone else', () => {
    const executionId = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
    const check = { source: 'storytailor.curator', 'detail-type': 'Crisis Alert Check', detail: { jobType: 'crisis_alert', executionId } };
    expect(parseCuratorEvent(check)).toEqual({ ok: true, request: { kind: 'crisis_check', jobType: 'crisis_alert', executionId } });
    const notAnId = parseCuratorEvent({ ...check, detail: { jobType: 'crisis_alert', executionId: 'all' } });
    expect(!notAnId.ok && notAnId.field).toBe('detail.executionId');
    const forged = parseCuratorEvent({ ...check, source: 'storytailor.agent' });
    expect(forged.ok).toBe(false);
    const extra = parseCuratorEvent({ ...check, detail: { ...check.detail, userIds: ['x'] } });
    expect(extra.ok).toBe(false);
  });

  it('reads a scheduled firing with its own time', () => {
    const parsed = parseCuratorEvent({
      id: 'abc',
      source: 'storytailor.scheduler',
      'detail-type': 'Scheduled Job',
      time: '2026-11-23T20:00:00Z',
      detail: { jobType: 'daily_digest' },
    });
    expect(parsed).toEqual({
      ok: true,
      request: { kind: 'scheduled', jobType: 'daily_digest', scheduledTime: new Date('2026-11-23T20:00:00Z'), eventId: 'abc', dryRun: false },
    });
  });

  it('reads the operations guide replay as written', () => {
    const parsed = parseCuratorEvent({ source: 'storytailor.manual', 'detail-type': 'retry', detail: { jobType: 'daily_digest', retry: true } });
    expect(parsed).toMatchObject({ ok: true, request: { kind: 'replay', jobType: 'daily_digest', periodKey: null, vetoReason: null } });
  });

  it('reads a health check, direct or from EventBridge', () => {
    expect(parseCuratorEvent({ detail: { jobType: 'health' } })).toEqual({ ok: true, request: { kind: 'health' } });
    expect(parseCuratorEvent({ source: 'storytailor.health-check', 'detail-type': 'health', detail: { jobType: 'health' } })).toEqual({
      ok: true,
      request: { kind: 'health' },
    });
  });

  it('reads the quiet-hours release, only as a direct invocation, with its id checked', () => {
    expect(parseCuratorEvent({ detail: { jobType: 'release', releaseId: 'd32c5kddcf5bb8c3' } })).toEqual({ ok: true, request: { kind: 'release', releaseId: 'd32c5kddcf5bb8c3' } });
    expect(parseCuratorEvent({ detail: { jobType: 'release' } })).toEqual({ ok: true, request: { kind: 'release', releaseId: null } });
    expect(parseCuratorEvent({ source: 'storytailor.manual', detail: { jobType: 'release' } })).toMatchObject({ ok: false, field: 'source' });
    expect(parseCuratorEvent({ detail: { jobType: 'release', releaseId: '' } })).toMatchObject({ ok: false, field: 'detail.releaseId' });
    // It names runs: nothing Postgres cannot store, no spaces, nothing unbounded.
    for (const releaseId of ['a\u0000b', 'two words', 'x'.repeat(129), 42]) {
      expect(parseCuratorEvent({ detail: { jobType: 'release', releaseId } }), String(releaseId)).toMatchObject({ ok: false, field: 'detail.releaseId' });
    }
    expect(parseCuratorEvent({ detail: { jobType: 'release', everyone: true } })).toMatchObject({ ok: false, field: 'detail' });
  });

  it('reads a signal and keeps its timestamp as the app wrote it', () => {
    expect(parseCuratorEvent(signal({}))).toMatchObject({ ok: true, request: { kind: 'signal', eventTimestamp: '2026-11-23T20:00:00+01:00' } });
  });

  it.each([
    // A crisis alert with a readable user is never refused (see below); other pipelines' bad signals are.
    [signal({ jobType: 'story_failure', confidence: 1.2 }), /detail\.confidence: Too big/],
    [signal({ userId: 'parent@example.com' }), /detail\.userId: Invalid UUID/],
    [signal({ jobType: 'early_intervention', eventTimestamp: '2026-11-23 20:00' }), /detail\.eventTimestamp: expected an ISO-8601 date-time with an offset/],
    [signal({ jobType: 'story_failure', signalId: 'a\u0000b' }), /detail\.signalId: must not contain NUL or unpaired surrogate characters/],
    [signal({ jobType: 'asset_timeout', signalId: 'lone \ud800' }), /detail\.signalId: must not contain NUL/],
    [signal({ jobType: 'story_failure', signalCount: 2 ** 31 }), /detail\.signalCount: Too big/],
    [signal({ jobType: 'daily_digest' }), /detail\.jobType: Invalid option/],
    [{ source: 'storytailor.manual', 'detail-type': 'retry', detail: { jobType: 'daily_digest' } }, /detail\.retry/],
    [{ source: 'storytailor.manual', 'detail-type': 'retry', detail: { jobType: 'daily_digest', retry: true, vetoReason: 'BORED' } }, /detail\.vetoReason/],
    [{ source: 'storytailor.manual', 'detail-type': 'retry', detail: { jobType: 'daily_digest', retry: true, periodkey: 'x' } }, /periodkey/],
    [{ source: 'aws.events', detail: {} }, /^source: expected one of/],
    [null, /^source: expected one of/],
    ['{"detail":{}}', /^source: expected one of/],
  ])('refuses %j naming the bad field', (event, message) => {
    const parsed = parseCuratorEvent(event);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(message);
  });
});

describe('parseCuratorEvent, for what Postgres cannot store', () => {
  const deep = (levels: number): Record<string, unknown> => {
    let value: Record<string, unknown> = { leaf: true };
    for (let level = 0; level < levels; level += 1) value = { next: value };
    return value;
  };

  it('cleans a NUL or a lone surrogate in the context and keeps the rest as evidence', () => {
    const parsed = parseCuratorEvent(signal({ jobType: 'story_failure', context: { note: 'a\u0000b', ['k\u0000']: 'lone \udc00', childId: 'maya' } }));
    expect(parsed).toMatchObject({
      ok: true,
      request: { kind: 'signal', contextCleaned: true, problem: null, context: { note: 'a\uFFFDb', 'k\uFFFD': 'lone \uFFFD', childId: 'maya' } },
    });
  });

  it('cuts a context nested 5,000 deep at 32 levels, saying so', () => {
    const parsed = parseCuratorEvent(signal({ context: deep(5_000) }));
    expect(parsed.ok).toBe(true);
    let node = (parsed.ok && parsed.request.kind === 'signal' ? parsed.request.context : {}) as Record<string, unknown>;
    let depth = 0;
    while (typeof node.next === 'object' && node.next !== null) {
      node = node.next as Record<string, unknown>;
      depth += 1;
    }
    expect(depth).toBe(31);
    expect(node.next).toBe('[nested deeper than 32 levels; cut]');
    expect(JSON.stringify(parsed).length).toBeLessThan(2_000);
  });

  it.each([
    [{ signalId: 'a\u0000b' }, /detail\.signalId: must not contain NUL/],
    [{ signalId: 'lone \ud800' }, /detail\.signalId/],
    [{ signalCount: 2 ** 31 }, /detail\.signalCount: Too big/],
    [{ confidence: 'high' }, /detail\.confidence/],
    [{ eventTimestamp: 'yesterday' }, /detail\.eventTimestamp/],
  ])('keeps a crisis alert with %j, carrying the problem so it is recorded and escalated', (detail, problem) => {
    const parsed = parseCuratorEvent(signal(detail));
    expect(parsed.ok).toBe(true);
    const request = parsed.ok && parsed.request.kind === 'signal' ? parsed.request : null;
    expect(request).toMatchObject({ jobType: 'crisis_alert', userId: '3f2b8f9e-4c1a-4b7e-9d55-2a1c8e7f6b10', problem: expect.stringMatching(problem) });
    // The app's retry of the same event is the same signal, so it is recorded once.
    const again = parseCuratorEvent(signal(detail));
    expect(again.ok && again.request.kind === 'signal' && again.request.signalId).toBe(request?.signalId);
    expect(JSON.stringify(request)).not.toMatch(/\\u0000|\\ud800/);
  });

  it('refuses a crisis alert whose user cannot be read: there is nobody to record it for', () => {
    expect(parseCuratorEvent(signal({ userId: 'not-a-user', signalCount: -3 }))).toMatchObject({ ok: false, error: expect.stringMatching(/detail\.userId/) });
  });

  it('refuses a scheduled firing from the future, by the curator\'s clock, allowing five minutes of skew', () => {
    const firing = (time: string) => ({ source: 'storytailor.scheduler', 'detail-type': 'Scheduled Job', time, detail: { jobType: 'daily_digest' } });
    const now = new Date('2026-11-23T20:00:00Z');
    expect(parseCuratorEvent(firing('2099-06-01T00:00:00Z'), { now })).toEqual({
      ok: false,
      field: 'time',
      error: expect.stringMatching(/^time: 2099-06-01T00:00:00.000Z is later than the curator's clock \(2026-11-23T20:00:00.000Z\)/),
    });
    expect(parseCuratorEvent(firing('2026-11-23T20:04:00Z'), { now }).ok).toBe(true);
    expect(parseCuratorEvent(firing('2026-11-23T20:06:00Z'), { now }).ok).toBe(false);
  });
});

describe('the curator handler', () => {
  const untouchable = new Proxy({}, { get: () => () => Promise.reject(new Error('the store must not be called')) }) as CuratorStore;

  it('answers an invalid event with the error, logs it and counts it, without throwing', async () => {
    const metrics = memoryMetrics();
    const logger = memoryLogger();
    const deps: CuratorDeps = {
      store: untouchable,
      switches: memorySwitches(),
      metrics,
      mailer: recordingMailer(),
      payments: ledgerPayments(null),
      clock: manualClock(new Date()),
      logger,
      config: { environment: 'staging', pageSize: 10, leaseSeconds: 60, owner: 'x', templates: {} },
    };
    const handler = createCuratorHandler(async () => deps);
    const result = await handler(signal({ jobType: 'story_failure', signalCount: -1 }));
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^detail\.signalCount: Too small/) });
    expect(metrics.total('InvalidEvents')).toBe(1);
    expect(logger.lines).toMatchObject([{ level: 'ERROR', message: 'invalid event' }]);
  });

  it('refuses a replay of a period that does not exist, naming it', async () => {
    const metrics = memoryMetrics();
    const deps = {
      store: untouchable,
      switches: memorySwitches(),
      metrics,
      mailer: recordingMailer(),
      payments: ledgerPayments(null),
      clock: manualClock(new Date()),
      logger: memoryLogger(),
      config: { environment: 'staging', pageSize: 10, leaseSeconds: 60, owner: 'x', templates: {} },
    } satisfies CuratorDeps;
    const handler = createCuratorHandler(async () => deps);
    const result = await handler({ source: 'storytailor.manual', 'detail-type': 'retry', detail: { jobType: 'weekly_insights', retry: true, periodKey: '2026-11-22' } });
    expect(result).toEqual({ ok: false, error: 'detail.periodKey: 2026-11-22 is not a period of weekly_insights (weekly)' });
    expect(metrics.total('InvalidEvents')).toBe(1);
  });
});

describe('loadConfig', () => {
  it('chooses embedded PGlite when no database is configured', () => {
    expect(loadConfig({}).database).toEqual({ kind: 'pglite', dataDir: null });
  });

  it('names a malformed value without echoing a secret', () => {
    const secret = 'sb_secret_0123456789abcdefghij';
    const messageOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('loadConfig accepted a bad configuration');
    };
    const missingUrl = messageOf({ SUPABASE_SERVICE_ROLE_KEY: secret });
    expect(missingUrl).toMatch(/SUPABASE_SERVICE_ROLE_KEY: SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY \(or its _SECRET_ARN\) go together/);
    expect(missingUrl).not.toContain(secret);
    expect(messageOf({ SUPABASE_URL: 'https://x.supabase.co', SUPABASE_SERVICE_ROLE_KEY: secret, CURATOR_PAGE_SIZE: 'lots' })).toMatch(
      /^invalid configuration: CURATOR_PAGE_SIZE: /,
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must be a postgres:\/\/ connection string/);
  });
});
