/** How an action's period is derived: from the firing's scheduled time, or the app's signal id. */
export const periodKinds = ['daily', 'weekly', 'monthly', 'signal'] as const;
export type PeriodKind = (typeof periodKinds)[number];
export type ScheduledPeriodKind = Exclude<PeriodKind, 'signal'>;

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** ISO-8601 week of a UTC instant: `YYYY-Www`, the year being the week's (so 2027-01-01 is `2026-W53`). */
export function isoWeekKey(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const mondayBased = (day.getUTCDay() + 6) % 7;
  // The Thursday of this week decides which year the week belongs to.
  day.setUTCDate(day.getUTCDate() - mondayBased + 3);
  const weekYear = day.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(weekYear, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  const week = 1 + Math.round((day.getTime() - firstThursday.getTime()) / (7 * 86_400_000));
  return `${weekYear}-W${pad(week)}`;
}

/**
 * The period key of a scheduled action, from the firing's scheduled time in UTC.
 *
 * @example
 * periodKey('daily', new Date('2026-11-22T20:00:00Z'))   // '2026-11-22'
 * periodKey('weekly', new Date('2026-11-22T18:00:00Z'))  // '2026-W47'
 * periodKey('monthly', new Date('2026-12-07T09:00:00Z')) // '2026-12'
 */
export function periodKey(kind: ScheduledPeriodKind, scheduledTime: Date): string {
  const year = scheduledTime.getUTCFullYear();
  const month = pad(scheduledTime.getUTCMonth() + 1);
  switch (kind) {
    case 'daily':
      return `${year}-${month}-${pad(scheduledTime.getUTCDate())}`;
    case 'weekly':
      return isoWeekKey(scheduledTime);
    case 'monthly':
      return `${year}-${month}`;
    default: {
      const unknown: never = kind;
      throw new Error(`unknown period kind ${String(unknown)}`);
    }
  }
}

const patterns: Record<ScheduledPeriodKind, RegExp> = {
  daily: /^(\d{4})-(\d{2})-(\d{2})$/,
  weekly: /^(\d{4})-W(\d{2})$/,
  monthly: /^(\d{4})-(\d{2})$/,
};

/**
 * The first instant (UTC) of the period a key names, or null when the key is not a valid key of that kind.
 *
 * @example
 * periodStart('weekly', '2026-W47') // 2026-11-16T00:00:00Z, the Monday
 */
export function periodStart(kind: ScheduledPeriodKind, key: string): Date | null {
  const match = patterns[kind].exec(key);
  if (!match) return null;
  const [year, second, third] = [Number(match[1]), Number(match[2]), Number(match[3])];
  let start: Date;
  if (kind === 'daily') start = new Date(Date.UTC(year, second - 1, third));
  else if (kind === 'monthly') start = new Date(Date.UTC(year, second - 1, 1));
  else {
    const jan4 = new Date(Date.UTC(year, 0, 4));
    const mondayOfWeek1 = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000;
    start = new Date(mondayOfWeek1 + (second - 1) * 7 * 86_400_000);
  }
  // Reject keys that do not round-trip (2026-02-31, 2026-W60).
  return periodKey(kind, start) === key ? start : null;
}
