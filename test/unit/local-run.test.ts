import { describe, expect, it } from 'vitest';
import { flowingClock } from '../../src/adapters/clock.js';
import type { SqlClient } from '../../src/db/sql-client.js';
import { compareDryRun, comparisonTable } from '../../src/format/dry-run-comparison.js';
import { buildTimeline } from '../../src/local/simulation.js';

const start = new Date('2026-11-28T00:00:00Z');
const day = 86_400_000;
/** The timeline is only built here: nothing of it runs, so no database is asked anything. */
const noDatabase = {} as SqlClient;

describe('npm start', () => {
  it('runs the scripted signals and ops actions only inside the simulated days', () => {
    const oneDay = buildTimeline(noDatabase, { setSwitch: () => undefined }, start, 1, 500);
    expect(oneDay.length).toBeGreaterThan(0);
    expect(oneDay.every((event) => event.at.getTime() < start.getTime() + day)).toBe(true);
    // The week's script: a crisis alert on day 3 and the account deleted on day 6 appear only when those days run.
    expect(oneDay.some((event) => event.label === 'crisis_alert for a deleted account')).toBe(false);
    const week = buildTimeline(noDatabase, { setSwitch: () => undefined }, start, 7, 500);
    expect(week.some((event) => event.label === 'crisis_alert for a deleted account')).toBe(true);
    expect(week.every((event) => event.at.getTime() < start.getTime() + 7 * day)).toBe(true);
  });

  it('lets simulated time run at real speed during a job, and never backwards', async () => {
    const clock = flowingClock(start);
    clock.set(new Date(start.getTime() + 3_600_000));
    const before = clock.now().getTime();
    await new Promise((resolve) => setTimeout(resolve, 40));
    const after = clock.now().getTime();
    expect(after - before).toBeGreaterThanOrEqual(35);
    expect(after - before).toBeLessThan(10_000);
    // An event whose time the job before ran past: the clock keeps going from where it is.
    clock.set(new Date(start.getTime() + 3_600_000));
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(after);
  });
});

describe('a dry run beside a real run', () => {
  const tally = { candidates: 14, executed: 9, skipped: 0, vetoed: { FREQUENCY_CAP: 3, LOW_CONFIDENCE: 2 }, escalated: 0, failed: 0 };
  const real = {
    id: 'run-1',
    job_type: 'daily_digest',
    period_key: '2026-11-23',
    status: 'succeeded',
    candidates: 14,
    executed: 12,
    skipped: 0,
    vetoed: 2,
    failed: 0,
    escalated: 0,
    veto_reasons: { LOW_CONFIDENCE: 2 },
    same_period: true,
  };

  it('shows each outcome and veto reason with the difference, one table', () => {
    const comparison = compareDryRun(tally, real as never);
    expect(comparison.rows).toEqual([
      { outcome: 'decided', dry_run: 14, real_run: 14, difference: 0 },
      { outcome: 'executed', dry_run: 9, real_run: 12, difference: -3 },
      { outcome: 'skipped', dry_run: 0, real_run: 0, difference: 0 },
      { outcome: 'vetoed', dry_run: 5, real_run: 2, difference: 3 },
      { outcome: '  FREQUENCY_CAP', dry_run: 3, real_run: 0, difference: 3 },
      { outcome: '  LOW_CONFIDENCE', dry_run: 2, real_run: 2, difference: 0 },
      { outcome: 'failed', dry_run: 0, real_run: 0, difference: 0 },
      { outcome: 'escalated', dry_run: 0, real_run: 0, difference: 0 },
    ]);
    const table = comparisonTable(comparison);
    expect(table[0]).toBe('compared with the last real run of 2026-11-23 (succeeded)');
    expect(table[1]).toMatch(/^outcome\s+dry run\s+real run\s+difference$/);
    expect(table).toContainEqual(expect.stringMatching(/^executed\s+9\s+12\s+-3$/));
    expect(table).toContainEqual(expect.stringMatching(/^ {2}FREQUENCY_CAP\s+3\s+0\s+\+3$/));
  });

  it('says so when it is compared with the previous period, or with nothing', () => {
    expect(compareDryRun(tally, { ...real, same_period: false } as never).compared_with).toBe(
      'no real run of this period yet: the last real run of the previous period, 2026-11-23 (succeeded)',
    );
    const alone = compareDryRun(tally, null);
    expect(alone.compared_with).toBe('no real run of this job yet');
    expect(alone.rows[1]).toEqual({ outcome: 'executed', dry_run: 9, real_run: null, difference: null });
  });
});
