/** Days as AWS cron spells them. */
export const weekdays = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
export type Weekday = (typeof weekdays)[number];

/**
 * A UTC schedule of the shapes the rules use: every day at a time, one weekday a week, or the nth weekday of a
 * month. Kept as data so the stack can print the AWS cron expression and the health job can compute the last
 * firing from the same value.
 */
export interface CronSchedule {
  readonly minute: number;
  readonly hour: number;
  readonly weekday?: Weekday;
  /** With `weekday`: only its nth occurrence in the month (`MON#1` is the first Monday). */
  readonly nthOfMonth?: 1 | 2 | 3 | 4 | 5;
}

/**
 * The EventBridge schedule expression.
 *
 * @example
 * toAwsCron({ minute: 0, hour: 9, weekday: 'MON', nthOfMonth: 1 }) // 'cron(0 9 ? * MON#1 *)'
 */
export function toAwsCron(schedule: CronSchedule): string {
  const { minute, hour, weekday, nthOfMonth } = schedule;
  if (weekday === undefined) return `cron(${minute} ${hour} * * ? *)`;
  const dayOfWeek = nthOfMonth === undefined ? weekday : `${weekday}#${nthOfMonth}`;
  return `cron(${minute} ${hour} ? * ${dayOfWeek} *)`;
}

const dayMs = 86_400_000;

function firesOnDay(schedule: CronSchedule, day: Date): boolean {
  if (schedule.weekday === undefined) return true;
  if (weekdays[day.getUTCDay()] !== schedule.weekday) return false;
  if (schedule.nthOfMonth === undefined) return true;
  return Math.ceil(day.getUTCDate() / 7) === schedule.nthOfMonth;
}

/**
 * The most recent scheduled firing at or before `at` (UTC). Every schedule above fires at least once in any
 * 5 weeks, so the search is bounded.
 *
 * @example
 * latestFiring({ minute: 0, hour: 20 }, new Date('2026-11-23T06:00:00Z')) // 2026-11-22T20:00:00Z
 */
export function latestFiring(schedule: CronSchedule, at: Date): Date {
  const startOfDay = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  const offset = (schedule.hour * 60 + schedule.minute) * 60_000;
  for (let back = 0; back <= 40; back += 1) {
    const day = new Date(startOfDay - back * dayMs);
    const firing = new Date(day.getTime() + offset);
    if (firing.getTime() <= at.getTime() && firesOnDay(schedule, day)) return firing;
  }
  throw new Error(`schedule ${toAwsCron(schedule)} has no firing in the 40 days before ${at.toISOString()}`);
}

/**
 * The firing whose period key is `key`: the first scheduled time inside the period (a replay of a past period
 * needs the firing's time for its signal window). Null when the schedule has no firing in that period.
 *
 * @example
 * firingInPeriod({ minute: 0, hour: 18, weekday: 'SUN' }, '2026-W47', isoWeekKeyOf) // 2026-11-22T18:00:00Z
 */
export function firingInPeriod(schedule: CronSchedule, key: string, keyOf: (at: Date) => string, periodStart: Date): Date | null {
  const offset = (schedule.hour * 60 + schedule.minute) * 60_000;
  for (let day = 0; day < 32; day += 1) {
    const date = new Date(periodStart.getTime() + day * dayMs);
    const firing = new Date(date.getTime() + offset);
    if (keyOf(firing) !== key) continue;
    if (firesOnDay(schedule, date)) return firing;
  }
  return null;
}
