import { policyParameters, resolvePolicy, type PipelinePolicy } from '../curator/policy.js';
import {
  globalPolicyTunables as globalTunables,
  globalSwitchSlug,
  isFamilyCapped,
  isJobType,
  jobTypes,
  parameterKey,
  pipelineOf,
  pipelinePolicyTunables as pipelineTunables,
  rangeOf,
  tunableNames,
  type JobType,
  type NumericTunable,
} from '../pipelines/index.js';

/** A proposed policy change is malformed or names what does not exist: nothing is asked or written. */
export class ProposalError extends Error {
  override readonly name = 'ProposalError';
}

/**
 * A proposed change to the policy: `scope` as ops typed it (a pipeline or `all`), and the parameters it would put,
 * keyed relative to the parameter root as the curator reads them (`daily-digest/min-confidence`).
 */
export interface Proposal {
  readonly scope: JobType | 'all';
  readonly overrides: ReadonlyMap<string, string>;
  /** The pipelines whose policy the overrides change. */
  readonly affected: readonly JobType[];
}

/** A pipeline named by its jobType or slug, or `all`. */
export function scopeOf(name: string): JobType | 'all' {
  if (name === globalSwitchSlug) return 'all';
  if (isJobType(name)) return name;
  const bySlug = jobTypes.find((jobType) => pipelineOf(jobType).slug === name);
  if (bySlug === undefined) throw new ProposalError(`unknown pipeline "${name}": expected all, a slug such as daily-digest or a jobType such as daily_digest`);
  return bySlug;
}

/** Whether a pipeline has the check a tunable sets (its default is not null): a value at the bottom of its range is taken. */
const hasCheck = (jobType: JobType, name: string) =>
  resolvePolicy(jobType, new Map([[parameterKey(jobType, name), String(rangeOf(jobType, name as NumericTunable).min)]])).problems.length === 0;

/**
 * Reads `name=value[,name=value…]` for `scope` and validates every value with the schema the curator's policy
 * uses (resolvePolicy): an out-of-range or malformed value, an unknown name, or a check the pipeline lacks is a
 * {@link ProposalError} naming it, before anything is read or written. A per-pipeline name under `all` applies to
 * every pipeline that has the check; the caps and ceilings under `all` only under `all`.
 *
 * @example
 * parseProposal('daily-digest', 'min-confidence=0.6').overrides // Map { 'daily-digest/min-confidence' => '0.6' }
 */
export function parseProposal(scopeName: string, assignments: string | readonly string[]): Proposal {
  const text = (typeof assignments === 'string' ? [assignments] : assignments).join(',');
  const pairs = text.split(',').map((pair) => pair.trim()).filter((pair) => pair !== '');
  return proposalOf(
    scopeName,
    pairs.map((pair): [string, string] => {
      const at = pair.indexOf('=');
      const value = at < 0 ? '' : pair.slice(at + 1).trim();
      if (at < 0 || value === '') throw new ProposalError(`"${pair}" is not name=value`);
      return [pair.slice(0, at).trim(), value];
    }),
  );
}

/**
 * The same check of changes already read, name to value: what the what-if event carries (ops read and checked them
 * with parseProposal before it was published; the curator checks them again, as any edge does).
 *
 * @example
 * proposalOf('daily-digest', [['min-confidence', '0.6']]).overrides // Map { 'daily-digest/min-confidence' => '0.6' }
 */
export function proposalOf(scopeName: string, changes: ReadonlyArray<readonly [string, string]>): Proposal {
  const scope = scopeOf(scopeName);
  if (changes.length === 0) throw new ProposalError('nothing proposed: give name=value, for example min-confidence=0.6');
  const overrides = new Map<string, string>();
  const named = new Set<string>();
  for (const [name, value] of changes) {
    // Two values for one tunable: which one was meant cannot be known, so neither is taken.
    if (named.has(name)) throw new ProposalError(`${name} is named twice: give it once`);
    named.add(name);
    if (globalTunables.includes(name)) {
      if (scope !== 'all') throw new ProposalError(`${name} is one setting for every pipeline (a cap, a ceiling, the quiet hours): propose it for all (all ${name}=${value})`);
      overrides.set(parameterKey(globalSwitchSlug, name), value);
      continue;
    }
    if (!pipelineTunables.includes(name)) {
      throw new ProposalError(`unknown tunable "${name}": expected one of ${[...pipelineTunables, ...globalTunables].join(', ')}`);
    }
    const targets = scope === 'all' ? jobTypes.filter((jobType) => hasCheck(jobType, name)) : [scope];
    if (scope !== 'all' && !hasCheck(scope, name)) throw new ProposalError(`${pipelineOf(scope).slug} has no ${name} check`);
    for (const jobType of targets) overrides.set(parameterKey(jobType, name), value);
  }
  for (const jobType of jobTypes) {
    const { problems } = resolvePolicy(jobType, overrides);
    const refused = problems.find((problem) => overrides.has(problem.slice(0, problem.indexOf(':'))) && !problem.includes('has no such check'));
    if (refused !== undefined) throw new ProposalError(`refused: ${refused.replace(/; using .*$/, '')}`);
  }
  return { scope, overrides, affected: jobTypes.filter((jobType) => readsAny(jobType, overrides)) };
}

/** Whether a pipeline's policy reads one of the overridden parameters (its own, or a cap or ceiling it applies). */
function readsAny(jobType: JobType, overrides: ReadonlyMap<string, string>): boolean {
  const pipeline = pipelineOf(jobType);
  const global = (name: string) => overrides.has(parameterKey(globalSwitchSlug, name));
  if (pipelineTunables.some((name) => overrides.has(parameterKey(jobType, name)))) return true;
  if (isFamilyCapped(pipeline) && (global(tunableNames.emailCap24h) || global(tunableNames.emailCap7d))) return true;
  if (pipeline.channel === 'email' && global(tunableNames.emailsPerRunCeiling)) return true;
  if (pipeline.keepsQuietHours === true && (global(tunableNames.quietHoursStart) || global(tunableNames.quietHoursEnd))) return true;
  return pipeline.channel === 'credit' && global(tunableNames.dailyCreditCeilingCents);
}

/** The policy a recorded one becomes under the proposal: its own parameters with the proposed ones on top. */
export function proposedPolicy(proposal: Proposal, recorded: PipelinePolicy): PipelinePolicy {
  const parameters = policyParameters(recorded);
  for (const [key, value] of proposal.overrides) parameters.set(key, value);
  return resolvePolicy(recorded.jobType, parameters).policy;
}

/** The overrides as ops typed them, keyed by name relative to the root (`daily-digest/min-confidence`). */
export const overridesObject = (proposal: Proposal): Record<string, string> => Object.fromEntries(proposal.overrides);
