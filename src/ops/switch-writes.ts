import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { globalSwitchSlug, killSwitchPath, killSwitchSlugs, opsSummary, pipelines, type JobType } from '../pipelines/index.js';
import type { OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';

/** The jobType a kill switch slug belongs to, `ops_summary`, or `all`. */
export function pipelineTypeOfSlug(slug: string): JobType | 'all' | typeof opsSummary.jobType {
  if (slug === globalSwitchSlug) return 'all';
  if (slug === opsSummary.slug) return opsSummary.jobType;
  const found = (Object.keys(pipelines) as JobType[]).find((jobType) => pipelines[jobType].slug === slug);
  if (found === undefined) {
    throw new OpsError(ExitCode.usage, `unknown switch "${slug}": expected one of ${killSwitchSlugs().join(', ')}`);
  }
  return found;
}

/** Puts one kill switch's parameter (the curator sees it within its cache's 5 minutes). */
export async function putSwitch(context: OpsContext, slug: string, value: 'true' | 'false'): Promise<void> {
  try {
    await context.ssm.send(new PutParameterCommand({ Name: killSwitchPath(context.env, slug), Value: value, Type: 'String', Overwrite: true }));
  } catch (error) {
    throw explain(error, `setting ${killSwitchPath(context.env, slug)} to ${value}`);
  }
}
