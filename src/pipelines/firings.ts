import { pipelines, rules, type JobType } from './catalog.js';
import { periodKey, periodStart, type ScheduledPeriodKind } from './period.js';
import { firingInPeriod, latestFiring, type CronSchedule } from './schedule.js';

/** The schedule of a scheduled pipeline, or null for a realtime one. */
export function scheduleOf(jobType: JobType): { schedule: CronSchedule; period: ScheduledPeriodKind } | null {
  const pipeline = pipelines[jobType];
  const trigger = rules[pipeline.rule].trigger;
  if (trigger.kind !== 'schedule' || pipeline.period === 'signal') return null;
  return { schedule: trigger.schedule, period: pipeline.period };
}

/** A scheduled firing and the period it belongs to. */
export interface Firing {
  readonly periodKey: string;
  readonly scheduledTime: Date;
}

/** The last firing at or before `at`: what a replay without a period means. */
export function lastFiring(jobType: JobType, at: Date): Firing | null {
  const scheduled = scheduleOf(jobType);
  if (scheduled === null) return null;
  const scheduledTime = latestFiring(scheduled.schedule, at);
  return { periodKey: periodKey(scheduled.period, scheduledTime), scheduledTime };
}

/** The firing of a named period, or null when the key is malformed or the schedule has no firing in it. */
export function firingOfPeriod(jobType: JobType, key: string): Firing | null {
  const scheduled = scheduleOf(jobType);
  if (scheduled === null) return null;
  const start = periodStart(scheduled.period, key);
  if (start === null) return null;
  const scheduledTime = firingInPeriod(scheduled.schedule, key, (at) => periodKey(scheduled.period, at), start);
  return scheduledTime === null ? null : { periodKey: key, scheduledTime };
}
