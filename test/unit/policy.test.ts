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

  it.each([
    ['crisis-alert/type-cap-window-hours', '1e300', 'not a plain decimal number; expected a decimal number from 0.25 to 24'],
    ['crisis-alert/type-cap-window-hours', '48', 'out of range; expected a decimal number from 0.25 to 24'],
    ['crisis-alert/type-cap-max', '0', 'out of range; expected a whole number from 1 to 10'],
    ['crisis-alert/sla-minutes', '5e-324', 'not a plain decimal number'],
    ['crisis-alert/sla-minutes', '4.9', 'out of range; expected a decimal number from 5 to 60'],
    ['crisis-alert/min-confidence', '1', 'out of range; expected a decimal number from 0.5 to 0.99'],
    ['crisis-alert/min-signals', '0x10', 'not a plain decimal number'],
    ['crisis-alert/min-signals', '0b11', 'not a plain decimal number'],
    ['crisis-alert/min-signals', '0o7', 'not a plain decimal number'],
    ['crisis-alert/min-signals', '4', 'out of range; expected a whole number from 1 to 3'],
    ['crisis-alert/min-signals', '1.5', 'not a whole number'],
    ['crisis-alert/min-signals', 'Infinity', 'not a plain decimal number'],
    ['crisis-alert/min-signals', '+2', 'not a plain decimal number'],
    ['crisis-alert/min-signals', '1_0', 'not a plain decimal number'],
    ['all/email-cap-24h', '0', 'out of range; expected a whole number from 1 to 20'],
    ['all/daily-credit-ceiling-cents', '1000001', 'out of range; expected a whole number from 0 to 1000000'],
    ['all/emails-per-run-ceiling', '0', 'out of range'],
  ])('ignores %s = %s for a crisis alert: it is decided as the defaults would (%s)', (key, value, why) => {
    const { policy, problems } = resolvePolicy('crisis_alert', new Map([[key, value]]));
    expect(policy).toEqual(resolvePolicy('crisis_alert').policy);
    expect(problems).toEqual([expect.stringContaining(`${key}: ${JSON.stringify(value)} is not valid (${why}`)]);
  });

  it('takes plain decimals within a clinical pipeline\'s floors, and early intervention at its own numbers', () => {
    const crisis = resolvePolicy('crisis_alert', new Map([['crisis-alert/sla-minutes', ' 10 '], ['crisis-alert/min-confidence', '.9'], ['crisis-alert/type-cap-window-hours', '24']]));
    expect(crisis.problems).toEqual([]);
    expect(crisis.policy).toMatchObject({ slaMinutes: 10, minConfidence: 0.9, typeCap: { windowHours: 24 } });
    const early = resolvePolicy('early_intervention', new Map([['early-intervention/sla-minutes', '30'], ['early-intervention/type-cap-window-hours', '200']]));
    expect(early.policy).toMatchObject({ slaMinutes: 60, typeCap: { windowHours: 72 } });
    expect(early.problems).toEqual([expect.stringContaining('from 24 to 168'), expect.stringContaining('from 60 to 1440')]);
    // The same 30 minutes is a valid SLA for a story failure.
    expect(resolvePolicy('story_failure', new Map([['story-failure/sla-minutes', '30']])).policy.slaMinutes).toBe(30);
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
      familyCapped: true,
      typeCap: { max: 1, windowHours: 24 },
      nonCriticalCaps: [
        { max: 2, windowHours: 24 },
        { max: 10, windowHours: 168 },
      ],
      uncappedEmailTypes: ['org_health_report', 'crisis_alert'],
    });
    expect(emailPolicyJson(resolvePolicy('org_health_report').policy)).toMatchObject({ critical: false, familyCapped: false, typeCap: null });
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

describe('quiet hours as ops tune them', () => {
  it('takes an HH:MM window within its bounds for the pipelines that keep quiet hours, and ignores anything else by name', () => {
    expect(resolvePolicy('daily_digest', new Map([['all/quiet-hours-start', ' 22:30 '], ['all/quiet-hours-end', '07:00']])).policy.quietHours).toEqual({ start: 22 * 60 + 30, end: 7 * 60 });
    expect(resolvePolicy('crisis_alert', new Map([['all/quiet-hours-start', '22:30']]))).toMatchObject({ policy: { quietHours: null }, problems: [] });
    const slipped = resolvePolicy('weekly_insights', new Map([['all/quiet-hours-end', '18:00'], ['all/quiet-hours-start', '9pm']]));
    expect(slipped.policy.quietHours).toEqual({ start: 21 * 60, end: 8 * 60 });
    expect(slipped.problems).toEqual([
      'all/quiet-hours-start: "9pm" is not valid (not a time of day as HH:MM; expected a time of day, HH:MM, from 18:00 to 23:59); using 21:00',
      'all/quiet-hours-end: "18:00" is not valid (out of range; expected a time of day, HH:MM, from 05:00 to 10:00); using 08:00',
    ]);
  });
});

describe('a policy as its parameters', () => {
  it('resolves back to itself for every pipeline, with and without overrides', () => {
    const overrides = new Map([
      ['daily-digest/min-confidence', '0.6'],
      ['early-intervention/type-cap-max', '2'],
      ['all/email-cap-24h', '1'],
      ['all/daily-credit-ceiling-cents', '1500'],
      ['all/quiet-hours-start', '22:30'],
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
