import { describe, expect, it } from 'vitest';
import { isoWeekKey, latestFiring, periodKey, rules } from '../../src/pipelines/index.js';

const at = (iso: string) => new Date(iso);
const scheduleOf = (slug: keyof typeof rules) => {
  const trigger = rules[slug].trigger;
  if (trigger.kind !== 'schedule') throw new Error(`${slug} is not scheduled`);
  return trigger.schedule;
};

describe('latestFiring', () => {
  it('finds yesterday evening for the daily digest before 20:00', () => {
    expect(latestFiring(scheduleOf('daily-digest'), at('2026-11-23T06:00:00Z'))).toEqual(at('2026-11-22T20:00:00Z'));
  });

  it('counts a firing at exactly its time', () => {
    expect(latestFiring(scheduleOf('daily-digest'), at('2026-11-23T20:00:00Z'))).toEqual(at('2026-11-23T20:00:00Z'));
  });

  it('finds the last Sunday for weekly insights', () => {
    expect(latestFiring(scheduleOf('weekly-insights'), at('2026-11-25T12:00:00Z'))).toEqual(at('2026-11-22T18:00:00Z'));
    expect(latestFiring(scheduleOf('weekly-insights'), at('2026-11-22T17:59:59Z'))).toEqual(at('2026-11-15T18:00:00Z'));
  });

  it('finds the first Monday of the month for org health reports', () => {
    // November 2026 starts on a Sunday: its first Monday is the 2nd; December's is the 7th.
    expect(latestFiring(scheduleOf('org-health-reports'), at('2026-11-30T00:00:00Z'))).toEqual(at('2026-11-02T09:00:00Z'));
    expect(latestFiring(scheduleOf('org-health-reports'), at('2026-12-07T09:00:00Z'))).toEqual(at('2026-12-07T09:00:00Z'));
    expect(latestFiring(scheduleOf('org-health-reports'), at('2026-12-07T08:59:00Z'))).toEqual(at('2026-11-02T09:00:00Z'));
  });
});

describe('periodKey', () => {
  it('keys daily jobs by UTC date', () => {
    expect(periodKey('daily', at('2026-11-22T20:00:00Z'))).toBe('2026-11-22');
    expect(periodKey('daily', at('2026-12-31T23:59:59Z'))).toBe('2026-12-31');
  });

  it('keys weekly jobs by ISO week, Sunday closing its week', () => {
    expect(periodKey('weekly', at('2026-11-22T18:00:00Z'))).toBe('2026-W47');
    expect(periodKey('weekly', at('2026-11-23T00:00:00Z'))).toBe('2026-W48');
  });

  it('keys monthly jobs by year and month', () => {
    expect(periodKey('monthly', at('2026-12-07T09:00:00Z'))).toBe('2026-12');
  });
});

describe('isoWeekKey', () => {
  it.each([
    ['2026-01-01T00:00:00Z', '2026-W01'],
    ['2027-01-01T00:00:00Z', '2026-W53'],
    ['2024-12-30T00:00:00Z', '2025-W01'],
    ['2021-01-03T00:00:00Z', '2020-W53'],
    ['2026-12-28T12:00:00Z', '2026-W53'],
  ])('puts %s in %s', (instant, key) => {
    expect(isoWeekKey(at(instant))).toBe(key);
  });
});
