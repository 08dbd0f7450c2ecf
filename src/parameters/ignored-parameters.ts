import { resolvePolicy } from '../curator/policy.js';
import { breakablePipelines, breakerPolicy } from '../breaker/complaint-breaker.js';
import { jobTypes } from '../pipelines/index.js';
import { asIgnored, type IgnoredParameter } from './report-ignored.js';

export type { IgnoredParameter } from './report-ignored.js';

/**
 * Every stored parameter the curator ignores, once each, in key order: what every pipeline's policy and every
 * breaker make of the parameters. The health job counts them (IgnoredParameters), the morning summary and
 * `ops thresholds` list them.
 */
export function ignoredParameters(parameters: ReadonlyMap<string, string> | null): IgnoredParameter[] {
  if (parameters === null) return [];
  const problems = [
    ...jobTypes.flatMap((jobType) => resolvePolicy(jobType, parameters).problems),
    ...breakablePipelines.flatMap((jobType) => breakerPolicy(jobType, parameters).problems),
  ];
  const byKey = new Map(asIgnored(problems, parameters).map((ignored) => [ignored.key, ignored]));
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}
