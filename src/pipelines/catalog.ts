import type { FrequencyCap, NumericTunable, PipelineDefinition, RuleDefinition, TunableRange } from './definition.js';
import type { ScheduledPeriodKind } from './period.js';
import type { CronSchedule } from './schedule.js';

/**
 * The eight EventBridge rules (DESIGN.md section 2). Scheduled rules fire one pipeline each; the realtime rule
 * carries the app's signals, ops replays and the health check.
 */
export const rules = {
  'daily-digest': {
    description: 'Daily digest email to every active family',
    trigger: { kind: 'schedule', schedule: { minute: 0, hour: 20 } },
  },
  'weekly-insights': {
    description: 'Weekly insights email to families with enough signal',
    trigger: { kind: 'schedule', schedule: { minute: 0, hour: 18, weekday: 'SUN' } },
  },
  'story-scoring': {
    description: 'Recompute story effectiveness from consumption',
    trigger: { kind: 'schedule', schedule: { minute: 0, hour: 4 } },
  },
  'referral-rewards': {
    description: 'Stripe credit for every converted referral',
    trigger: { kind: 'schedule', schedule: { minute: 0, hour: 1 } },
  },
  'expire-credits': {
    description: 'Reverse expired, unapplied credit in Stripe',
    trigger: { kind: 'schedule', schedule: { minute: 0, hour: 3 } },
  },
  'org-health-reports': {
    description: 'Monthly health report to every organisation admin',
    trigger: { kind: 'schedule', schedule: { minute: 0, hour: 9, weekday: 'MON', nthOfMonth: 1 } },
  },
  'data-retention': {
    description: 'Archive executions and email logs older than 90 days',
    trigger: { kind: 'schedule', schedule: { minute: 0, hour: 2, weekday: 'SUN' } },
  },
  'realtime-signals': {
    description: "The app's emotional signals, ops replays and health checks",
    // Its pattern, one branch per sender, is the request contract's (src/events/request-contract.ts).
    trigger: { kind: 'event' },
  },
} as const satisfies Record<string, RuleDefinition>;

export type RuleSlug = keyof typeof rules;

/**
 * Default caps across a family's non-critical email (every type but the critical ones and an organisation's reports,
 * `isFamilyCapped`), per user, the action itself excluded.
 */
export const nonCriticalEmailCaps = [
  { max: 2, windowHours: 24 },
  { max: 10, windowHours: 7 * 24 },
] as const satisfies readonly FrequencyCap[];

/**
 * The quiet hours a family keeps when the app has said where it is (family_time_zones) but not chosen a window of its
 * own: local wall-clock times in minutes after midnight, 21:00 to 08:00; ops override them per environment with
 * `all/quiet-hours-start` and `all/quiet-hours-end`. A family without a time zone keeps none (the curator cannot know
 * its night).
 */
export const defaultQuietHours = { start: 21 * 60, end: 8 * 60 } as const;

/**
 * The release of what quiet hours held: a schedule of the stack (every 15 minutes, since zones with :30 and :45
 * offsets exist) invokes the curator with a `release` request, which sends what has come due, pipeline by pipeline in
 * this order: when a family's organisation report, insights and digest come due together, the caps see them in it.
 */
export const quietHoursRelease = {
  description: 'Sends the emails held for quiet hours whose time to go has come',
  rateMinutes: 15,
  order: ['org_health_report', 'weekly_insights', 'daily_digest'],
} as const;

/** Spend guard defaults (DESIGN.md section 8); ops override them under `/storytailor-{env}/pipelines/all/`. */
export const spendCeilings = {
  /** Credits issued per UTC day, in cents, across every run and shard. */
  dailyCreditCents: 100_000,
  /** Emails one run may send. */
  emailsPerRun: 250_000,
} as const;

/** Credit amounts and lifetimes. */
export const credits = {
  referralRewardCents: 1_000,
  validityDays: 180,
} as const;

/**
 * What ops may set each tunable to (DESIGN.md section 3): its type and its range, for every pipeline unless the
 * pipeline's own `ranges` say otherwise (the clinical ones do: they must keep sending). Every ceiling has an upper
 * bound, at most ten times its default, so a slipped digit cannot open the spend guard; no cap or ceiling that
 * guards families goes to 0 (a kill switch is how a pipeline is stopped). A stored value out of its range, or not
 * a plain decimal number, is ignored and the default applies.
 */
export const tunableRanges = {
  'min-confidence': { kind: 'decimal', min: 0, max: 1 },
  'min-signals': { kind: 'integer', min: 0, max: 100 },
  'sla-minutes': { kind: 'decimal', min: 1, max: 1_440 },
  'type-cap-max': { kind: 'integer', min: 1, max: 100 },
  'type-cap-window-hours': { kind: 'decimal', min: 1, max: 720 },
  'breaker-rate-percent': { kind: 'decimal', min: 0.1, max: 5 },
  'breaker-min-events': { kind: 'integer', min: 1, max: 1_000 },
  'email-cap-24h': { kind: 'integer', min: 1, max: 20 },
  'email-cap-7d': { kind: 'integer', min: 1, max: 100 },
  'daily-credit-ceiling-cents': { kind: 'integer', min: 0, max: 1_000_000 },
  'emails-per-run-ceiling': { kind: 'integer', min: 1, max: 2_500_000 },
  // A slipped digit must not make the night most of the day: the window starts in the evening and ends in the morning.
  'quiet-hours-start': { kind: 'clock', min: 18 * 60, max: 23 * 60 + 59 },
  'quiet-hours-end': { kind: 'clock', min: 5 * 60, max: 10 * 60 },
} as const satisfies Record<NumericTunable, TunableRange>;

/** Data retention: age at which records move to the archive tables, and rows moved per statement. */
export const retention = {
  ageDays: 90,
  batchSize: 5_000,
} as const;

/**
 * Every pipeline, keyed by the jobType the events carry (DESIGN.md sections 2 and 3).
 *
 * @example
 * pipelines.crisis_alert.thresholds.minConfidence // 0.95
 */
export const pipelines = {
  daily_digest: {
    slug: 'daily-digest',
    rule: 'daily-digest',
    displayName: 'Daily digest',
    period: 'daily',
    channel: 'email',
    critical: false,
    audience: 'family',
    emailType: 'daily_digest',
    thresholds: { minConfidence: 0.5, minSignals: 1, slaMinutes: null },
    typeCap: null,
    clinical: false,
    keepsQuietHours: true,
    canaryFirst: true,
  },
  weekly_insights: {
    slug: 'weekly-insights',
    rule: 'weekly-insights',
    displayName: 'Weekly insights',
    period: 'weekly',
    channel: 'email',
    critical: false,
    audience: 'family',
    emailType: 'weekly_insights',
    thresholds: { minConfidence: 0.7, minSignals: 3, slaMinutes: null },
    typeCap: null,
    clinical: false,
    keepsQuietHours: true,
    canaryFirst: true,
  },
  story_scoring: {
    slug: 'story-scoring',
    rule: 'story-scoring',
    displayName: 'Story scoring',
    period: 'daily',
    channel: 'sql',
    critical: false,
    audience: 'family',
    emailType: null,
    thresholds: { minConfidence: null, minSignals: null, slaMinutes: null },
    typeCap: null,
    clinical: false,
  },
  referral_rewards: {
    slug: 'referral-rewards',
    rule: 'referral-rewards',
    displayName: 'Referral rewards',
    period: 'daily',
    channel: 'credit',
    critical: false,
    audience: 'family',
    emailType: null,
    thresholds: { minConfidence: null, minSignals: null, slaMinutes: null },
    typeCap: null,
    clinical: false,
  },
  expire_credits: {
    slug: 'expire-credits',
    rule: 'expire-credits',
    displayName: 'Expire credits',
    period: 'daily',
    channel: 'credit',
    critical: false,
    audience: 'family',
    emailType: null,
    thresholds: { minConfidence: null, minSignals: null, slaMinutes: null },
    typeCap: null,
    clinical: false,
  },
  org_health_report: {
    slug: 'org-health-reports',
    rule: 'org-health-reports',
    displayName: 'Organisation health report',
    period: 'monthly',
    channel: 'email',
    critical: false,
    audience: 'organisation',
    emailType: 'org_health_report',
    thresholds: { minConfidence: null, minSignals: null, slaMinutes: null },
    typeCap: null,
    clinical: false,
    keepsQuietHours: true,
  },
  data_retention: {
    slug: 'data-retention',
    rule: 'data-retention',
    displayName: 'Data retention',
    period: 'weekly',
    channel: 'sql',
    critical: false,
    audience: 'family',
    emailType: null,
    thresholds: { minConfidence: null, minSignals: null, slaMinutes: null },
    typeCap: null,
    clinical: false,
  },
  crisis_alert: {
    slug: 'crisis-alert',
    rule: 'realtime-signals',
    displayName: 'Crisis alert',
    period: 'signal',
    channel: 'email',
    critical: true,
    audience: 'family',
    emailType: 'crisis_alert',
    thresholds: { minConfidence: 0.95, minSignals: 1, slaMinutes: 5 },
    typeCap: { max: 1, windowHours: 1, scope: 'child' },
    clinical: true,
    falsePositiveCeilingPercent: 10,
    // Floors that keep crisis alerts going out: never a stricter SLA than five minutes, a threshold no signal can
    // reach, more signals than a crisis gives, a cap of nothing or a window longer than a day.
    ranges: {
      'min-confidence': { kind: 'decimal', min: 0.5, max: 0.99 },
      'min-signals': { kind: 'integer', min: 1, max: 3 },
      'sla-minutes': { kind: 'decimal', min: 5, max: 60 },
      'type-cap-max': { kind: 'integer', min: 1, max: 10 },
      'type-cap-window-hours': { kind: 'decimal', min: 0.25, max: 24 },
    },
  },
  early_intervention: {
    slug: 'early-intervention',
    rule: 'realtime-signals',
    displayName: 'Early intervention',
    period: 'signal',
    channel: 'email',
    critical: false,
    audience: 'family',
    emailType: 'early_intervention',
    thresholds: { minConfidence: 0.8, minSignals: 3, slaMinutes: 60 },
    typeCap: { max: 1, windowHours: 72, scope: 'user' },
    clinical: true,
    falsePositiveCeilingPercent: 30,
    // The same for early intervention, at its own numbers: an SLA of an hour at least, a week's window at most.
    ranges: {
      'min-confidence': { kind: 'decimal', min: 0.5, max: 0.95 },
      'min-signals': { kind: 'integer', min: 1, max: 10 },
      'sla-minutes': { kind: 'decimal', min: 60, max: 1_440 },
      'type-cap-max': { kind: 'integer', min: 1, max: 5 },
      'type-cap-window-hours': { kind: 'decimal', min: 24, max: 168 },
    },
  },
  story_failure: {
    slug: 'story-failure',
    rule: 'realtime-signals',
    displayName: 'Story failure',
    period: 'signal',
    channel: 'email',
    critical: false,
    audience: 'family',
    emailType: 'story_failure',
    thresholds: { minConfidence: 0.5, minSignals: 1, slaMinutes: 15 },
    typeCap: { max: 1, windowHours: 24, scope: 'user' },
    clinical: false,
  },
  asset_timeout: {
    slug: 'asset-timeout',
    rule: 'realtime-signals',
    displayName: 'Asset timeout',
    period: 'signal',
    channel: 'email',
    critical: false,
    audience: 'family',
    emailType: 'asset_timeout',
    thresholds: { minConfidence: 0.5, minSignals: 1, slaMinutes: 15 },
    typeCap: { max: 1, windowHours: 24, scope: 'user' },
    clinical: false,
  },
} as const satisfies Record<string, PipelineDefinition>;

export type JobType = keyof typeof pipelines;

/**
 * The morning ops summary: the curator's own internal email to the ops list, not a pipeline (no candidates, no
 * families, no decisions). EventBridge Scheduler runs it at 09:00 UTC, the operations guide's morning checklist. Its
 * kill switch is its own, and the global `all` switch does not stop it: ops want the report most when everything is
 * stopped.
 */
export const opsSummary = {
  jobType: 'ops_summary',
  slug: 'ops-summary',
  displayName: 'Ops summary',
  schedule: { minute: 0, hour: 9 },
  description: "The morning ops summary (and the first Monday's monthly ops health report) to the ops list",
} as const satisfies { jobType: string; slug: string; displayName: string; schedule: CronSchedule; description: string };

/** Every jobType, in catalog order. */
export const jobTypes = Object.keys(pipelines) as JobType[];

/** Whether a string names a pipeline of the catalog. */
export function isJobType(value: string): value is JobType {
  return Object.hasOwn(pipelines, value);
}

/** The catalog entry of a jobType, typed as the general definition. */
export function pipelineOf(jobType: JobType): PipelineDefinition {
  return pipelines[jobType];
}

/** The pipelines a rule fires. */
export function pipelinesOfRule(rule: RuleSlug): JobType[] {
  return jobTypes.filter((jobType) => pipelines[jobType].rule === rule);
}

/**
 * Whether a pipeline's emails answer to the caps across a family's email (at most 2 a day, 10 a week): a family's
 * non-critical email. A critical one answers only to its own type cap; an organisation's report is not a family email.
 */
export function isFamilyCapped(pipeline: PipelineDefinition): boolean {
  return pipeline.channel === 'email' && !pipeline.critical && pipeline.audience === 'family';
}

/** Email types outside the family caps (critical, or an organisation's): they never count toward, nor are held by, them. */
export const uncappedEmailTypes = jobTypes
  .map((jobType) => pipelineOf(jobType))
  .filter((pipeline) => pipeline.emailType !== null && !isFamilyCapped(pipeline))
  .map((pipeline) => pipeline.emailType as string);

/** The clinical pipelines (crisis alert, early intervention): the clinical team reviews and approves them. */
export const clinicalPipelines: readonly JobType[] = jobTypes.filter((jobType) => pipelineOf(jobType).clinical);

/** How far back a scheduled period's signal is counted from its firing: the day, the week or the month before. */
export const periodWindowHours = { daily: 24, weekly: 7 * 24, monthly: 30 * 24 } as const satisfies Record<ScheduledPeriodKind, number>;

/** A clinical pipeline's false-positive ceiling in percent (null for any other), as the alarm and the reports read it. */
export function falsePositiveCeilingOf(pipelineType: string): number | null {
  return Object.hasOwn(pipelines, pipelineType) ? (pipelineOf(pipelineType as JobType).falsePositiveCeilingPercent ?? null) : null;
}
