import { breakablePipelines, breakerDefaults, breakerPolicy } from '../breaker/complaint-breaker.js';
import { ignoredParameters } from '../parameters/ignored-parameters.js';
import { resolvePolicy, type PipelinePolicy } from '../curator/policy.js';
import {
  globalSwitchSlug,
  jobTypes,
  nonCriticalEmailCaps,
  describeRange,
  parameterKey,
  pipelineOf,
  rangeOf,
  spendCeilings,
  defaultQuietHours,
  showTunable,
  tunableNames,
  type JobType,
  type NumericTunable,
} from '../pipelines/index.js';
import { storeFunctions, type AnswerOf } from '../store/functions.js';
import type { OpsContext } from './context.js';
import { explain } from './errors.js';
import { readTunables } from './parameters.js';

/** What a `threshold_change` override records in `details`: the parameter, its value before and after, who approved. */
export interface ThresholdChangeDetails {
  readonly parameter: string;
  readonly before: string | null;
  readonly after: string | null;
  readonly approved_by?: string;
  /** Who ran the command that a clinician approved, as AWS knows them (sts:GetCallerIdentity). */
  readonly caller_arn?: string;
}

/** One tunable as it stands: the catalog's default, the value the curator applies, and where that comes from. */
export interface ThresholdLine {
  readonly pipeline: JobType | 'all';
  readonly parameter: string;
  readonly default: string;
  /** What ops may set it to (the catalog's range for this pipeline), or null for an on/off setting. */
  readonly range: string | null;
  readonly effective: string;
  /** `default`, `override` (in force), or `ignored` (set, but malformed or for a check the pipeline lacks). */
  readonly source: 'default' | 'override' | 'ignored';
  readonly value: string | null;
  readonly problem: string | null;
  readonly setBy: string | null;
  readonly setAt: string | null;
  readonly reason: string | null;
}

const shown = (value: number | null | undefined) => (value === null || value === undefined ? '(none)' : String(value));

/** The tunables of one pipeline, each with its default and the value the policy applies. */
function pipelineTunables(jobType: JobType, policy: PipelinePolicy, parameters: ReadonlyMap<string, string>) {
  const pipeline = pipelineOf(jobType);
  const rows: Array<{ name: string; fallback: string; effective: string; range: string | null }> = [];
  const add = (name: NumericTunable, fallback: number | null, effective: number | null) => {
    if (fallback === null && !parameters.has(parameterKey(jobType, name))) return;
    rows.push({ name, fallback: shown(fallback), effective: shown(effective), range: fallback === null ? null : describeRange(rangeOf(jobType, name)) });
  };
  add(tunableNames.minConfidence, pipeline.thresholds.minConfidence, policy.minConfidence);
  add(tunableNames.minSignals, pipeline.thresholds.minSignals, policy.minSignals);
  add(tunableNames.slaMinutes, pipeline.thresholds.slaMinutes, policy.slaMinutes);
  add(tunableNames.typeCapMax, pipeline.typeCap?.max ?? null, policy.typeCap?.max ?? null);
  add(tunableNames.typeCapWindowHours, pipeline.typeCap?.windowHours ?? null, policy.typeCap?.windowHours ?? null);
  if (breakablePipelines.includes(jobType)) {
    const breaker = breakerPolicy(jobType, parameters).policy;
    rows.push({ name: tunableNames.breakerEnabled, fallback: 'true', effective: String(breaker.enabled), range: 'true or false' });
    add(tunableNames.breakerRatePercent, breakerDefaults.ratePercent, breaker.ratePercent);
    add(tunableNames.breakerMinEvents, breakerDefaults.minEvents, breaker.minEvents);
  }
  return rows;
}

/**
 * Every tunable of the environment as the curator applies it now: per pipeline, then the caps and ceilings under
 * `all`, each with its catalog default, the override in force (and who set it when, from the latest
 * `threshold_change` override naming it) or why an override is ignored, and any parameter under the root the
 * curator does not know (a typo is ignored, not applied).
 */
export async function thresholdLines(context: OpsContext, only: JobType | null): Promise<{ lines: ThresholdLine[]; unknown: string[] }> {
  const parameters = await readTunables(context);
  const problemsByKey = new Map(ignoredParameters(parameters).map((entry) => [entry.key, entry.problem]));
  const entries: Array<{ pipeline: JobType | 'all'; key: string; fallback: string; effective: string; range: string | null }> = [];
  const policies = jobTypes.map((jobType) => ({ jobType, ...resolvePolicy(jobType, parameters) }));
  for (const { jobType, policy } of policies) {
    for (const row of pipelineTunables(jobType, policy, parameters)) {
      entries.push({ pipeline: jobType, key: parameterKey(jobType, row.name), fallback: row.fallback, effective: row.effective, range: row.range });
    }
  }
  // The caps and ceilings under `all` are the same in every pipeline's policy.
  const globals = policies[0]!.policy;
  const [day, week] = nonCriticalEmailCaps;
  const global = (name: NumericTunable, fallback: number, effective: number) =>
    entries.push({
      pipeline: 'all',
      key: parameterKey(globalSwitchSlug, name),
      fallback: showTunable(rangeOf('all', name), fallback),
      effective: showTunable(rangeOf('all', name), effective),
      range: describeRange(rangeOf('all', name)),
    });
  global(tunableNames.emailCap24h, day.max, globals.nonCriticalCaps[0]!.max);
  global(tunableNames.emailCap7d, week.max, globals.nonCriticalCaps[1]!.max);
  global(tunableNames.dailyCreditCeilingCents, spendCeilings.dailyCreditCents, globals.ceilings.dailyCreditCents);
  global(tunableNames.emailsPerRunCeiling, spendCeilings.emailsPerRun, globals.ceilings.emailsPerRun);
  // The window of every pipeline that keeps quiet hours (the digest's is theirs).
  const quiet = policies.find((entry) => entry.policy.quietHours !== null)!.policy.quietHours!;
  global(tunableNames.quietHoursStart, defaultQuietHours.start, quiet.start);
  global(tunableNames.quietHoursEnd, defaultQuietHours.end, quiet.end);

  const known = new Set(entries.map((entry) => entry.key));
  const unknown = [...parameters.keys()].filter((key) => !key.endsWith(`/${tunableNames.enabled}`) && !known.has(key)).sort();
  const shownEntries = only === null ? entries : entries.filter((entry) => entry.pipeline === only || entry.pipeline === 'all');

  const overridden = shownEntries.filter((entry) => parameters.has(entry.key)).map((entry) => entry.key);
  let changes: AnswerOf<typeof storeFunctions.thresholdChanges> = [];
  if (overridden.length > 0) {
    const store = await context.store();
    try {
      changes = await store.call(storeFunctions.thresholdChanges, { keys: overridden });
    } catch (error) {
      throw explain(error, 'reading who changed the thresholds');
    }
  }
  const changeOf = new Map(changes.map((change) => [change.parameter, change]));
  const lines = shownEntries.map((entry): ThresholdLine => {
    const value = parameters.get(entry.key) ?? null;
    const problem = problemsByKey.get(entry.key) ?? null;
    const change = changeOf.get(entry.key);
    return {
      pipeline: entry.pipeline,
      parameter: entry.key,
      default: entry.fallback,
      range: entry.range,
      effective: entry.effective,
      source: value === null ? 'default' : problem === null ? 'override' : 'ignored',
      value,
      problem,
      setBy: value === null ? null : (change?.actor ?? null),
      setAt: value === null ? null : (change?.occurred_at ?? null),
      reason: value === null ? null : (change?.reason ?? null),
    };
  });
  return { lines, unknown };
}

