import { describe, expect, it } from 'vitest';
import {
  isFamilyCapped,
  uncappedEmailTypes,
  jobTypes,
  killSwitchPath,
  killSwitchSlugs,
  pipelineOf,
  pipelines,
  pipelinesOfRule,
  rules,
  toAwsCron,
  type RuleSlug,
} from '../../src/pipelines/index.js';

describe('the pipeline catalog', () => {
  it('has the eight rules of DESIGN.md section 2 with their exact schedules', () => {
    const expressions = Object.fromEntries(
      Object.entries(rules).map(([slug, rule]) => [
        slug,
        rule.trigger.kind === 'schedule' ? toAwsCron(rule.trigger.schedule) : rule.trigger.kind,
      ]),
    );
    expect(expressions).toEqual({
      'daily-digest': 'cron(0 20 * * ? *)',
      'weekly-insights': 'cron(0 18 ? * SUN *)',
      'story-scoring': 'cron(0 4 * * ? *)',
      'referral-rewards': 'cron(0 1 * * ? *)',
      'expire-credits': 'cron(0 3 * * ? *)',
      'org-health-reports': 'cron(0 9 ? * MON#1 *)',
      'data-retention': 'cron(0 2 ? * SUN *)',
      'realtime-signals': 'event',
    });
  });

  it('fires each scheduled pipeline from its own rule and the four realtime ones from the signals rule', () => {
    const fired = Object.fromEntries(Object.keys(rules).map((rule) => [rule, pipelinesOfRule(rule as RuleSlug)]));
    expect(fired).toEqual({
      'daily-digest': ['daily_digest'],
      'weekly-insights': ['weekly_insights'],
      'story-scoring': ['story_scoring'],
      'referral-rewards': ['referral_rewards'],
      'expire-credits': ['expire_credits'],
      'org-health-reports': ['org_health_report'],
      'data-retention': ['data_retention'],
      'realtime-signals': ['crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout'],
    });
  });

  it('keys every scheduled pipeline by the period its schedule implies, and realtime ones by signal', () => {
    for (const jobType of jobTypes) {
      const pipeline = pipelineOf(jobType);
      const trigger = rules[pipeline.rule as RuleSlug].trigger;
      if (trigger.kind === 'event') {
        expect(pipeline.period, jobType).toBe('signal');
        continue;
      }
      const schedule = trigger.schedule as { weekday?: string; nthOfMonth?: number };
      const implied = schedule.nthOfMonth !== undefined ? 'monthly' : schedule.weekday !== undefined ? 'weekly' : 'daily';
      expect(pipeline.period, jobType).toBe(implied);
    }
  });

  it('has thirteen kill switches: eleven pipeline slugs, the ops summary and all', () => {
    expect(killSwitchSlugs().map((slug) => killSwitchPath('production', slug))).toEqual([
      '/storytailor-production/pipelines/daily-digest/enabled',
      '/storytailor-production/pipelines/weekly-insights/enabled',
      '/storytailor-production/pipelines/story-scoring/enabled',
      '/storytailor-production/pipelines/referral-rewards/enabled',
      '/storytailor-production/pipelines/expire-credits/enabled',
      '/storytailor-production/pipelines/org-health-reports/enabled',
      '/storytailor-production/pipelines/data-retention/enabled',
      '/storytailor-production/pipelines/crisis-alert/enabled',
      '/storytailor-production/pipelines/early-intervention/enabled',
      '/storytailor-production/pipelines/story-failure/enabled',
      '/storytailor-production/pipelines/asset-timeout/enabled',
      '/storytailor-production/pipelines/ops-summary/enabled',
      '/storytailor-production/pipelines/all/enabled',
    ]);
    expect(new Set(killSwitchSlugs()).size).toBe(13);
  });

  it('carries the thresholds, SLAs and caps of DESIGN.md section 3', () => {
    const table = Object.fromEntries(
      jobTypes.map((jobType) => {
        const { thresholds, typeCap, critical, channel } = pipelineOf(jobType);
        return [jobType, { ...thresholds, typeCap, critical, channel }];
      }),
    );
    expect(table.crisis_alert).toEqual({
      minConfidence: 0.95,
      slaMinutes: 5,
      minSignals: 1,
      typeCap: { max: 1, windowHours: 1, scope: 'child' },
      critical: true,
      channel: 'email',
    });
    expect(table.early_intervention).toMatchObject({ minConfidence: 0.8, slaMinutes: 60, minSignals: 3, typeCap: { max: 1, windowHours: 72 } });
    expect(table.story_failure).toMatchObject({ minConfidence: 0.5, slaMinutes: 15, minSignals: 1, typeCap: { max: 1, windowHours: 24 } });
    expect(table.asset_timeout).toMatchObject({ minConfidence: 0.5, slaMinutes: 15, minSignals: 1, typeCap: { max: 1, windowHours: 24 } });
    expect(table.daily_digest).toMatchObject({ minConfidence: 0.5, slaMinutes: null, minSignals: 1, typeCap: null });
    expect(table.weekly_insights).toMatchObject({ minConfidence: 0.7, slaMinutes: null, minSignals: 3, typeCap: null });
    expect(table.org_health_report).toMatchObject({ minConfidence: null, slaMinutes: null, minSignals: null });
    expect(table.referral_rewards).toMatchObject({ channel: 'credit' });
    expect(table.expire_credits).toMatchObject({ channel: 'credit' });
    expect(table.story_scoring).toMatchObject({ channel: 'sql' });
    expect(table.data_retention).toMatchObject({ channel: 'sql' });
  });

  it('marks only the crisis alert critical, and only the organisation report outside the family caps besides it', () => {
    expect(jobTypes.filter((jobType) => pipelines[jobType].critical)).toEqual(['crisis_alert']);
    expect(jobTypes.filter((jobType) => pipelines[jobType].audience === 'organisation')).toEqual(['org_health_report']);
    expect(uncappedEmailTypes).toEqual(['org_health_report', 'crisis_alert']);
    expect(jobTypes.filter((jobType) => isFamilyCapped(pipelines[jobType]))).toEqual(['daily_digest', 'weekly_insights', 'early_intervention', 'story_failure', 'asset_timeout']);
  });

  it('gives every email pipeline an email type and no other pipeline one', () => {
    for (const jobType of jobTypes) {
      const pipeline = pipelineOf(jobType);
      expect(pipeline.emailType !== null, jobType).toBe(pipeline.channel === 'email');
    }
  });
});
