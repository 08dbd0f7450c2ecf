import { isJobType, jobTypes, pipelineOf, type JobType } from '../pipelines/index.js';
import { ExitCode, OpsError } from './errors.js';

/** A pipeline named by its jobType (`daily_digest`) or its slug (`daily-digest`). */
export function jobTypeOf(name: string): JobType {
  if (isJobType(name)) return name;
  const bySlug = jobTypes.find((jobType) => pipelineOf(jobType).slug === name);
  if (bySlug === undefined) throw new OpsError(ExitCode.usage, `unknown pipeline "${name}": expected a jobType or slug such as daily_digest or daily-digest`);
  return bySlug;
}
