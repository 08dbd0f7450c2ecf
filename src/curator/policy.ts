import { createHash } from 'node:crypto';
import type { QuietWindow } from './quiet-hours.js';
import {
  defaultQuietHours,
  showClockTime,
  isFamilyCapped,
  nonCriticalEmailCaps,
  parameterKey,
  pipelineOf,
  spendCeilings,
  tunableNames,
  globalSwitchSlug,
  rangeOf,
  readTunable,
  shownValue,
  showTunable,
  type Channel,
  type FrequencyCap,
  type JobType,
  type NumericTunable,
  uncappedEmailTypes,
} from '../pipelines/index.js';

/** Per-type cap as the decision applies it. */
export interface TypeCap extends FrequencyCap {
  readonly scope: 'user' | 'child';
}

/** The spend guard's ceilings (DESIGN.md section 8). */
export interface SpendCeilings {
  readonly dailyCreditCents: number;
  readonly emailsPerRun: number;
}

/** A pipeline's checks after ops overrides: what the decision applies. */
export interface PipelinePolicy {
  readonly jobType: JobType;
  readonly slug: string;
  readonly channel: Channel;
  readonly critical: boolean;
  /** Its emails answer to the caps across a family's email (`nonCriticalCaps`): a family's non-critical email. */
  readonly familyCapped: boolean;
  readonly emailType: string | null;
  readonly minConfidence: number | null;
  readonly minSignals: number | null;
  readonly slaMinutes: number | null;
  readonly typeCap: TypeCap | null;
  /** Caps across all non-critical email, each compared with the count in its own window. */
  readonly nonCriticalCaps: readonly FrequencyCap[];
  readonly ceilings: SpendCeilings;
  /**
   * The quiet hours a family with a time zone keeps unless it chose its own (`all/quiet-hours-start`, `-end`); null
   * for a pipeline whose emails are never held (critical, SLA-bound, not email).
   */
  readonly quietHours: QuietWindow | null;
}

/** A resolved policy and the overrides that were ignored, each named with why. */
export interface ResolvedPolicy {
  readonly policy: PipelinePolicy;
  readonly problems: readonly string[];
}

/**
 * The policy of a pipeline: the catalog's defaults with the overrides ops set under the parameter root
 * (keys relative to it, such as `crisis-alert/min-confidence`). An override that is not a plain decimal number
 * within the catalog's range for it (`rangeOf`), or one for a check the pipeline does not have, is ignored and
 * reported, never half-applied: whatever is stored, the curator decides.
 *
 * @example
 * resolvePolicy('daily_digest', new Map([['daily-digest/min-confidence', '0.6']])).policy.minConfidence // 0.6
 */
export function resolvePolicy(jobType: JobType, parameters: ReadonlyMap<string, string> = new Map()): ResolvedPolicy {
  const pipeline = pipelineOf(jobType);
  const problems: string[] = [];

  const read = (scope: JobType | 'all', name: NumericTunable, current: number | null): number | null => {
    const key = parameterKey(scope === 'all' ? globalSwitchSlug : scope, name);
    const raw = parameters.get(key);
    if (raw === undefined) return current;
    if (current === null) {
      problems.push(`${key}: ${pipeline.slug} has no such check; ignored`);
      return current;
    }
    const parsed = readTunable(raw, rangeOf(scope, name));
    if (!parsed.ok) {
      problems.push(`${key}: ${shownValue(raw)} is not valid (${parsed.why}); using ${showTunable(rangeOf(scope, name), current)}`);
      return current;
    }
    return parsed.value;
  };

  const { thresholds } = pipeline;
  if (pipeline.typeCap === null) {
    // No per-type cap to override: reported as read() reports a check the pipeline lacks.
    for (const name of [tunableNames.typeCapMax, tunableNames.typeCapWindowHours]) read(jobType, name, null);
  }
  const typeCap: TypeCap | null =
    pipeline.typeCap === null
      ? null
      : {
          scope: pipeline.typeCap.scope,
          max: read(jobType, tunableNames.typeCapMax, pipeline.typeCap.max) ?? pipeline.typeCap.max,
          windowHours: read(jobType, tunableNames.typeCapWindowHours, pipeline.typeCap.windowHours) ?? pipeline.typeCap.windowHours,
        };
  const [day, week] = nonCriticalEmailCaps;
  // Read for every pipeline, so an override under `all` is checked (and reported) once the same way everywhere.
  const quietHours: QuietWindow = {
    start: read('all', tunableNames.quietHoursStart, defaultQuietHours.start) ?? defaultQuietHours.start,
    end: read('all', tunableNames.quietHoursEnd, defaultQuietHours.end) ?? defaultQuietHours.end,
  };

  return {
    policy: {
      jobType,
      slug: pipeline.slug,
      channel: pipeline.channel,
      critical: pipeline.critical,
      familyCapped: isFamilyCapped(pipeline),
      emailType: pipeline.emailType,
      minConfidence: read(jobType, tunableNames.minConfidence, thresholds.minConfidence),
      minSignals: read(jobType, tunableNames.minSignals, thresholds.minSignals),
      slaMinutes: read(jobType, tunableNames.slaMinutes, thresholds.slaMinutes),
      typeCap,
      nonCriticalCaps: [
        { max: read('all', tunableNames.emailCap24h, day.max) ?? day.max, windowHours: day.windowHours },
        { max: read('all', tunableNames.emailCap7d, week.max) ?? week.max, windowHours: week.windowHours },
      ],
      ceilings: {
        dailyCreditCents: read('all', tunableNames.dailyCreditCeilingCents, spendCeilings.dailyCreditCents) ?? spendCeilings.dailyCreditCents,
        emailsPerRun: read('all', tunableNames.emailsPerRunCeiling, spendCeilings.emailsPerRun) ?? spendCeilings.emailsPerRun,
      },
      quietHours: pipeline.channel === 'email' && pipeline.keepsQuietHours === true && !pipeline.critical && thresholds.slaMinutes === null ? quietHours : null,
    },
    problems,
  };
}

/** The email policy as the SQL functions take it (`email_cap_facts`, `should_send_email`). */
export interface EmailPolicyJson {
  /** Opted out only by its own row, never by `all`. */
  readonly critical: boolean;
  /** Held by the caps across a family's email (`nonCriticalCaps`). */
  readonly familyCapped: boolean;
  readonly typeCap: FrequencyCap | null;
  readonly nonCriticalCaps: readonly FrequencyCap[];
  /** Email types those caps do not count: the critical ones and an organisation's reports. */
  readonly uncappedEmailTypes: readonly string[];
}

/** Serialises a policy's email rules for SQL, so the database never holds a threshold of its own. */
export function emailPolicyJson(policy: PipelinePolicy): EmailPolicyJson {
  return {
    critical: policy.critical,
    familyCapped: policy.familyCapped,
    typeCap: policy.typeCap === null ? null : { max: policy.typeCap.max, windowHours: policy.typeCap.windowHours },
    nonCriticalCaps: policy.nonCriticalCaps.map(({ max, windowHours }) => ({ max, windowHours })),
    uncappedEmailTypes,
  };
}

/**
 * A policy as the parameters that make it: every tunable the policy has, with its value, keyed relative to the
 * parameter root. resolvePolicy of these gives the policy back (a test holds them to it), so a recorded policy
 * with a proposed override on top is resolved, and validated, exactly as the curator resolves ops' overrides.
 */
export function policyParameters(policy: PipelinePolicy): Map<string, string> {
  const parameters = new Map<string, string>();
  const put = (slug: string, name: string, value: number | null) => {
    if (value !== null) parameters.set(parameterKey(slug, name), String(value));
  };
  const putClock = (name: string, value: number | undefined) => {
    if (value !== undefined) parameters.set(parameterKey(globalSwitchSlug, name), showClockTime(value));
  };
  put(policy.slug, tunableNames.minConfidence, policy.minConfidence);
  put(policy.slug, tunableNames.minSignals, policy.minSignals);
  put(policy.slug, tunableNames.slaMinutes, policy.slaMinutes);
  put(policy.slug, tunableNames.typeCapMax, policy.typeCap?.max ?? null);
  put(policy.slug, tunableNames.typeCapWindowHours, policy.typeCap?.windowHours ?? null);
  put(globalSwitchSlug, tunableNames.emailCap24h, policy.nonCriticalCaps[0]?.max ?? null);
  put(globalSwitchSlug, tunableNames.emailCap7d, policy.nonCriticalCaps[1]?.max ?? null);
  put(globalSwitchSlug, tunableNames.dailyCreditCeilingCents, policy.ceilings.dailyCreditCents);
  put(globalSwitchSlug, tunableNames.emailsPerRunCeiling, policy.ceilings.emailsPerRun);
  // A policy recorded before quiet hours existed has none of its own: the defaults apply to it.
  putClock(tunableNames.quietHoursStart, policy.quietHours?.start);
  putClock(tunableNames.quietHoursEnd, policy.quietHours?.end);
  return parameters;
}

/** A policy as `decision_policies` keeps it: its hash (the key each execution points at) and its JSON. */
export interface PolicyVersion {
  readonly hash: string;
  readonly policy: PipelinePolicy;
}

/** The version of a policy: 16 hex digits of the SHA-256 of its JSON (resolvePolicy builds it in one key order). */
export function policyVersion(policy: PipelinePolicy): PolicyVersion {
  return { hash: createHash('sha256').update(JSON.stringify(policy)).digest('hex').slice(0, 16), policy };
}
