import { DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand } from '@aws-sdk/client-eventbridge';
import { ruleName, rules, type Environment, type RuleSlug } from '../pipelines/index.js';
import type { Attribution, OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { recordOverride } from './overrides.js';

/** The eight rules of the environment by name, and what each one starts (what `stop-all` stops). */
export function ruleNames(env: Environment): Array<{ name: string; starts: string }> {
  return Object.entries(rules).map(([slug, rule]) => ({ name: ruleName(env, slug), starts: rule.description }));
}

/**
 * Sets the eight rules' state, then records it (`stop_all` or `start_all`). A rule that does not exist fails the
 * command after the others were set; a record not written is exit 5 (the rules stay as set).
 */
export async function setRules(context: OpsContext, state: 'DISABLED' | 'ENABLED', who: Attribution): Promise<ExitCode> {
  const names = ruleNames(context.env).map((rule) => rule.name);
  const missing: string[] = [];
  for (const name of names) {
    try {
      await context.events.send(state === 'DISABLED' ? new DisableRuleCommand({ Name: name }) : new EnableRuleCommand({ Name: name }));
      const described = await context.events.send(new DescribeRuleCommand({ Name: name }));
      context.out(`${name}: ${described.State ?? 'unknown'}`);
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') {
        missing.push(name);
        context.out(`${name}: NOT FOUND`);
        continue;
      }
      throw explain(error, `${state === 'DISABLED' ? 'disabling' : 'enabling'} ${name}`);
    }
  }
  const recorded = await recordOverride(context, {
    pipelineType: 'all',
    overrideType: state === 'DISABLED' ? 'stop_all' : 'start_all',
    actor: who.actor,
    reason: who.reason,
    ticket: who.ticket,
    details: { environment: context.env, rules: names, missing },
    now: context.clock.now(),
  });
  if (missing.length > 0) throw new OpsError(ExitCode.failed, `${missing.length} rule(s) not found: ${missing.join(', ')}`);
  if (!recorded.recorded) {
    context.err(`WARNING: the rules are ${state.toLowerCase()}, but the human_overrides row was not written: ${recorded.why}`);
    return ExitCode.notRecorded;
  }
  return ExitCode.ok;
}

/** A rule as EventBridge has it now: enabled, disabled (stop-all), or not there (the stack not deployed). */
export type RuleState = 'ENABLED' | 'DISABLED' | 'NOT FOUND';

/** One rule's state, read with DescribeRule (what on-call's policy grants). */
export async function readRuleState(context: OpsContext, slug: RuleSlug): Promise<RuleState> {
  const name = ruleName(context.env, slug);
  try {
    const described = await context.events.send(new DescribeRuleCommand({ Name: name }));
    return described.State === 'DISABLED' ? 'DISABLED' : 'ENABLED';
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return 'NOT FOUND';
    throw explain(error, `reading ${name}`);
  }
}

/** The eight rules' states. */
export async function readRuleStates(context: OpsContext): Promise<Record<RuleSlug, RuleState>> {
  const slugs = Object.keys(rules) as RuleSlug[];
  const states = await Promise.all(slugs.map((slug) => readRuleState(context, slug)));
  return Object.fromEntries(slugs.map((slug, index) => [slug, states[index]!])) as Record<RuleSlug, RuleState>;
}
