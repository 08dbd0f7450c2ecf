import { describe, expect, it } from 'vitest';
import { capStandings } from '../../src/curator/caps.js';
import { resolvePolicy } from '../../src/curator/policy.js';
import { jobTypes, pipelineOf } from '../../src/pipelines/index.js';

const at = new Date('2026-11-23T20:00:00Z');
const hoursAgo = (hours: number) => new Date(at.getTime() - hours * 3_600_000);
const policies = jobTypes.filter((jobType) => pipelineOf(jobType).channel === 'email').map((jobType) => resolvePolicy(jobType).policy);

describe('capStandings', () => {
  it('says a full 24-hour cap frees up when its oldest counted email leaves the window', () => {
    const emails = [
      { emailType: 'daily_digest', queuedAt: hoursAgo(20) },
      { emailType: 'weekly_insights', queuedAt: hoursAgo(2) },
      { emailType: 'crisis_alert', queuedAt: hoursAgo(1) },
    ];
    const [day, week] = capStandings(policies, emails, at);
    expect(day).toEqual({ cap: 'all non-critical email, 2 per 24 h', max: 2, windowHours: 24, count: 2, freesAt: hoursAgo(20 - 24) });
    expect(week).toMatchObject({ max: 10, count: 2, freesAt: null });
  });

  it('counts a type cap over its own type only, and an email exactly one window old no more', () => {
    const emails = [
      { emailType: 'early_intervention', queuedAt: hoursAgo(72) },
      { emailType: 'early_intervention', queuedAt: hoursAgo(71) },
    ];
    const early = capStandings(policies, emails, at).find((standing) => standing.cap.startsWith('early_intervention'));
    expect(early).toEqual({ cap: 'early_intervention, 1 per 72 h', max: 1, windowHours: 72, count: 1, freesAt: hoursAgo(71 - 72) });
  });
});
