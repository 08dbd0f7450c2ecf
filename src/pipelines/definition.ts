import type { PeriodKind } from './period.js';
import type { CronSchedule } from './schedule.js';

/** How a pipeline reaches a family: an email, a Stripe balance movement, or work done in SQL alone. */
export type Channel = 'email' | 'credit' | 'sql';

/** A frequency cap: fewer than `max` earlier actions in the rolling window lets one more through. */
export interface FrequencyCap {
  readonly max: number;
  readonly windowHours: number;
}

/**
 * What fires a rule: a UTC schedule, or events on the default bus (which ones, sender by sender, the request
 * contract says: `realtimeEventPattern()` in src/events/request-contract.ts).
 */
export type RuleTrigger = { readonly kind: 'schedule'; readonly schedule: CronSchedule } | { readonly kind: 'event' };

/** One of the eight EventBridge rules, named `storytailor-{slug}-{env}`. */
export interface RuleDefinition {
  readonly description: string;
  readonly trigger: RuleTrigger;
}

/** The tunables of one pipeline (`{slug}/{name}`) that hold a number. */
export type PipelineTunable =
  | 'min-confidence'
  | 'min-signals'
  | 'sla-minutes'
  | 'type-cap-max'
  | 'type-cap-window-hours'
  | 'breaker-rate-percent'
  | 'breaker-min-events';
/** The caps and ceilings every pipeline shares (`all/{name}`). */
export type GlobalTunable =
  | 'email-cap-24h'
  | 'email-cap-7d'
  | 'daily-credit-ceiling-cents'
  | 'emails-per-run-ceiling'
  | 'quiet-hours-start'
  | 'quiet-hours-end';
export type NumericTunable = PipelineTunable | GlobalTunable;

/**
 * What ops may set a tunable to: a plain decimal number (`decimal`), a whole one (`integer`) or a time of day as
 * `HH:MM` (`clock`, its bounds in minutes after midnight), from `min` to `max` inclusive. Anything else stored under
 * its name is ignored and the default applies.
 */
export interface TunableRange {
  readonly kind: 'decimal' | 'integer' | 'clock';
  readonly min: number;
  readonly max: number;
}

/** The checks of a pipeline; `null` means the check does not apply to it. */
export interface Thresholds {
  readonly minConfidence: number | null;
  readonly minSignals: number | null;
  /** Realtime pipelines: the emotional SLA from the app's event to the decision. */
  readonly slaMinutes: number | null;
}

/**
 * One pipeline: what fires it, how its actions are keyed, what it checks and how it acts. The stack and the
 * curator both read these, so a slug, schedule or threshold is written once.
 */
export interface PipelineDefinition {
  /** The kill switch and log name: `/storytailor-{env}/pipelines/{slug}/enabled`. */
  readonly slug: string;
  /** The rule (by slug) whose firings run it. */
  readonly rule: string;
  readonly displayName: string;
  readonly period: PeriodKind;
  readonly channel: Channel;
  /** Critical pipelines bypass the non-critical email caps and proceed when the switches cannot be read. */
  readonly critical: boolean;
  /**
   * Who an email of this pipeline is for: a `family` (the frequency caps across a family's email apply), or an
   * `organisation` admin in that role (a report of the organisation's, not a family email: the family caps neither
   * hold it back nor count it; suppression and opt-outs, its own or `all`, still apply).
   */
  readonly audience: 'family' | 'organisation';
  /** Email pipelines: the email type (preferences, templates, delivery log). */
  readonly emailType: string | null;
  readonly thresholds: Thresholds;
  /**
   * Cap on this pipeline's own emails, beyond once per period. `scope: 'child'` counts per child named by the
   * signal rather than per user.
   */
  readonly typeCap: (FrequencyCap & { readonly scope: 'user' | 'child' }) | null;
  /**
   * A clinical pipeline reaches out on a child's distress: the clinical team reviews its alerts (false positives),
   * approves a change to its thresholds, and its ranges keep it sending.
   */
  readonly clinical: boolean;
  /** A clinical pipeline's ceiling on the share of its alerts the review marks false positives, alarmed above it. */
  readonly falsePositiveCeilingPercent?: number;
  /** A run first sends its template to the canary list, and no family is emailed if SendGrid refuses it. */
  readonly canaryFirst?: boolean;
  /**
   * Its emails wait for the end of a family's quiet hours (vetoed QUIET_HOURS with a time to go, then released): a
   * non-critical email with no SLA. Critical and SLA-bound emails are never held.
   */
  readonly keepsQuietHours?: boolean;
  /** Where this pipeline's ranges differ from the catalog's `tunableRanges`. */
  readonly ranges?: Readonly<Partial<Record<PipelineTunable, TunableRange>>>;
}
