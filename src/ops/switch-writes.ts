import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { globalSwitchSlug, killSwitchPath, killSwitchSlugs, opsSummary, pipelines, type JobType } from '../pipelines/index.js';
import type { Attribution, OpsContext } from './context.js';
import { recordOverride } from './overrides.js';
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

/** The kill_switch_disable or kill_switch_enable row of a flip; disable writes it after the flip, enable before. */
export function recordFlip(context: OpsContext, slug: string, on: boolean, who: Attribution) {
  return recordOverride(context, {
    pipelineType: pipelineTypeOfSlug(slug),
    overrideType: on ? 'kill_switch_enable' : 'kill_switch_disable',
    actor: who.actor,
    reason: who.reason,
    ticket: who.ticket,
    details: { environment: context.env, slug },
    now: context.clock.now(),
  });
}
