import { describe, expect, it } from 'vitest';
import { emailPolicyJson, parseSwitch, policyParameters, policyVersion, resolvePolicy, switchesAllow } from '../../src/curator/index.js';
import { jobTypes } from '../../src/pipelines/index.js';

describe('resolvePolicy', () => {
  it('uses the catalog when ops set nothing', () => {
    const { policy, problems } = resolvePolicy('crisis_alert');
    expect(policy).toMatchObject({ minConfidence: 0.95, slaMinutes: 5, minSignals: 1, critical: true });
    expect(problems).toEqual([]);
  });

  it('applies valid overrides read from the parameter path', () => {
    const { policy } = resolvePolicy(
      'early_intervention',
      new Map([
        ['early-intervention/min-confidence', '0.9'],
        ['early-intervention/type-cap-window-hours', '48'],
        ['all/email-cap-24h', '1'],
        ['all/daily-credit-ceiling-cents', '5000'],
      ]),
    );
    expect(policy.minConfidence).toBe(0.9);
    expect(policy.typeCap).toEqual({ max: 1, windowHours: 48, scope: 'user' });
    expect(policy.nonCriticalCaps[0]).toEqual({ max: 1, windowHours: 24 });
    expect(policy.ceilings.dailyCreditCents).toBe(5000);
  });

  it('ignores and reports a malformed override, keeping the default', () => {
    const { policy, problems } = resolvePolicy('daily_digest', new Map([['daily-digest/min-confidence', '1.5']]));
    expect(policy.minConfidence).toBe(0.5);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/daily-digest\/min-confidence: "1.5" is not valid/);
  });

  it('ignores an override for a check the pipeline does not have', () => {
    const { policy, problems } = resolvePolicy('org_health_report', new Map([['org-health-reports/min-confidence', '0.4']]));
    expect(policy.minConfidence).toBeNull();
    expect(problems[0]).toMatch(/has no such check/);
    const capless = resolvePolicy('daily_digest', new Map([['daily-digest/type-cap-max', '2'], ['daily-digest/type-cap-window-hours', '6']]));
    expect(capless.policy.typeCap).toBeNull();
    expect(capless.problems).toEqual([
      'daily-digest/type-cap-max: daily-digest has no such check; ignored',
      'daily-digest/type-cap-window-hours: daily-digest has no such check; ignored',
    ]);
  });

  it('serialises the email rules the SQL functions take', () => {
    expect(emailPolicyJson(resolvePolicy('story_failure').policy)).toEqual({
      critical: false,
      typeCap: { max: 1, windowHours: 24 },
      nonCriticalCaps: [
        { max: 2, windowHours: 24 },
        { max: 10, windowHours: 168 },
      ],
      criticalEmailTypes: ['crisis_alert'],
    });
  });
});

describe('kill switch values', () => {
  it.each([
    ['true', 'on'],
    [' TRUE ', 'on'],
    ['false', 'off'],
    ['False', 'off'],
    ['flase', 'unknown'],
    ['', 'unknown'],
    [undefined, 'unknown'],
  ] as const)('reads %j as %s', (value, state) => {
    expect(parseSwitch(value)).toBe(state);
  });

  it('lets only a critical pipeline through an unreadable switch, and nothing through an off one', () => {
    expect(switchesAllow({ global: 'unknown', pipeline: 'on' }, true)).toBe(true);
    expect(switchesAllow({ global: 'on', pipeline: 'unknown' }, false)).toBe(false);
    expect(switchesAllow({ global: 'off', pipeline: 'unknown' }, true)).toBe(false);
  });
});

describe('a policy as its parameters', () => {
  it('resolves back to itself for every pipeline, with and without overrides', () => {
    const overrides = new Map([
      ['daily-digest/min-confidence', '0.6'],
      ['early-intervention/type-cap-max', '2'],
      ['all/email-cap-24h', '1'],
      ['all/daily-credit-ceiling-cents', '1500'],
    ]);
    for (const jobType of jobTypes) {
      for (const parameters of [new Map<string, string>(), overrides]) {
        const { policy } = resolvePolicy(jobType, parameters);
        expect(resolvePolicy(jobType, policyParameters(policy))).toEqual({ policy, problems: [] });
      }
    }
  });

  it('versions a policy by its content', () => {
    const base = resolvePolicy('daily_digest').policy;
    expect(policyVersion(base).hash).toMatch(/^[0-9a-f]{16}$/);
    expect(policyVersion(resolvePolicy('daily_digest').policy).hash).toBe(policyVersion(base).hash);
    expect(policyVersion(resolvePolicy('daily_digest', new Map([['daily-digest/min-confidence', '0.6']])).policy).hash).not.toBe(policyVersion(base).hash);
  });
});
