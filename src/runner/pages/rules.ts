import { resolvePolicy, type PipelinePolicy } from '../../curator/policy.js';
import { asIgnored, reportIgnored } from '../../parameters/report-ignored.js';
import type { PipelineSwitches } from '../../curator/switches.js';
import type { JobType } from '../../pipelines/index.js';
import { switchesOf } from '../effects/request-gate.js';
import type { CuratorDeps } from '../deps.js';

/** The switches and policy in force for a page, read just before it is decided. */
export interface PageRules {
  readonly policy: PipelinePolicy;
  readonly switches: PipelineSwitches;
}

/** Reads the switches (from the adapter's cache) and resolves the pipeline's policy with ops' overrides. */
export async function readRules(deps: CuratorDeps, jobType: JobType): Promise<PageRules> {
  const snapshot = await deps.switches.read();
  const { policy, problems } = resolvePolicy(jobType, snapshot.parameters ?? new Map<string, string>());
  if (problems.length > 0) reportIgnored(deps.switches, deps.logger, asIgnored(problems, snapshot.parameters));
  if (snapshot.parameters === null) {
    deps.logger.warn('kill switches unreadable and never read; email and credit pipelines veto', { pipeline_type: jobType });
  }
  return { policy, switches: switchesOf(snapshot, jobType) };
}
