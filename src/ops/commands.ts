import { DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { storeFunctions, type AnswerOf } from '../store/functions.js';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { publishReplay, type ReplayRequest } from '../adapters/aws/replay-publisher.js';
import { parseSwitch } from '../curator/switches.js';
import {
  credits,
  globalSwitchSlug,
  killSwitchPath,
  killSwitchSlugs,
  opsSummary,
  parameterRoot,
  pipelines,
  ruleName,
  rules,
  type Environment,
  type JobType,
} from '../pipelines/index.js';
import type { CuratorStore } from '../store/curator-store.js';
import type { Attribution, OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { readParameters } from './parameters.js';
import { followEvent, type Follow } from './follow.js';
import type { Shown } from './look.js';

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

/** `switches`: every kill switch of the environment, with its value and what the curator makes of it. */
export async function showSwitches(context: OpsContext): Promise<ExitCode> {
  const values = await readParameters(context);
  const rows = killSwitchSlugs().map((slug) => {
    const path = killSwitchPath(context.env, slug);
    const value = values.get(path);
    const state = parseSwitch(value);
    return [slug, path, value ?? '(missing)', state === 'on' ? 'ON' : state === 'off' ? 'OFF' : 'UNREADABLE: email and credit veto'];
  });
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length), ['switch', 'parameter', 'value'][column]!.length));
  const format = (row: string[]) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ');
  context.out(format(['switch', 'parameter', 'value', 'state']));
  for (const row of rows) context.out(format(row));
  const tunables = [...values.entries()].filter(([name]) => !name.endsWith('/enabled'));
  if (tunables.length > 0) {
    context.out('');
    context.out('overrides in force:');
    for (const [name, value] of tunables) context.out(`  ${name} = ${value}`);
  }
  return ExitCode.ok;
}

async function putSwitch(context: OpsContext, slug: string, value: 'true' | 'false'): Promise<void> {
  try {
    await context.ssm.send(new PutParameterCommand({ Name: killSwitchPath(context.env, slug), Value: value, Type: 'String', Overwrite: true }));
  } catch (error) {
    throw explain(error, `setting ${killSwitchPath(context.env, slug)} to ${value}`);
  }
}

async function record(
  context: OpsContext,
  input: Parameters<CuratorStore['recordOverride']>[0],
): Promise<{ recorded: true } | { recorded: false; why: string }> {
  try {
    await (await context.store()).recordOverride(input);
    return { recorded: true };
  } catch (error) {
    return { recorded: false, why: explain(error, 'recording the override').message };
  }
}

/**
 * `disable <slug|all>`: stopping is always safe, so the switch is flipped first and recorded after; if the
 * record cannot be written the switch stays off and the command says so (exit 5).
 */
export async function disableSwitch(context: OpsContext, slug: string, who: Attribution): Promise<ExitCode> {
  const pipelineType = pipelineTypeOfSlug(slug);
  await putSwitch(context, slug, 'false');
  context.out(`${killSwitchPath(context.env, slug)} = false  (the curator sees it within its 5-minute cache)`);
  const recorded = await record(context, {
    pipelineType,
    overrideType: 'kill_switch_disable',
    actor: who.actor,
    reason: who.reason,
    ticket: who.ticket,
    details: { environment: context.env, slug },
    now: context.clock.now(),
  });
  if (!recorded.recorded) {
    context.err(`WARNING: the switch is off, but the human_overrides row was not written: ${recorded.why}`);
    return ExitCode.notRecorded;
  }
  return ExitCode.ok;
}

/** `enable <slug|all>`: turning a pipeline back on is recorded first; no record, no flip. */
export async function enableSwitch(context: OpsContext, slug: string, who: Attribution): Promise<ExitCode> {
  const pipelineType = pipelineTypeOfSlug(slug);
  const recorded = await record(context, {
    pipelineType,
    overrideType: 'kill_switch_enable',
    actor: who.actor,
    reason: who.reason,
    ticket: who.ticket,
    details: { environment: context.env, slug },
    now: context.clock.now(),
  });
  if (!recorded.recorded) throw new OpsError(ExitCode.failed, `not enabled: ${recorded.why}`);
  await putSwitch(context, slug, 'true');
  context.out(`${killSwitchPath(context.env, slug)} = true  (the curator sees it within its 5-minute cache)`);
  return ExitCode.ok;
}

/** The eight rules of the environment by name, and what each one starts (what `stop-all` stops). */
export function ruleNames(env: Environment): Array<{ name: string; starts: string }> {
  return Object.entries(rules).map(([slug, rule]) => ({ name: ruleName(env, slug), starts: rule.description }));
}

/**
 * Sets the eight rules' state, then records it (`stop_all` or `start_all`). A rule that does not exist fails the
 * command after the others were set; a record not written is exit 5 (the rules stay as set).
 */
async function setRules(context: OpsContext, state: 'DISABLED' | 'ENABLED', who: Attribution): Promise<ExitCode> {
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
  const recorded = await record(context, {
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

/** `stop-all`: disables the eight EventBridge rules (crisis alerts and every other realtime signal included). */
export async function stopAll(context: OpsContext, who: Attribution): Promise<ExitCode> {
  const code = await setRules(context, 'DISABLED', who);
  if (code === ExitCode.ok) context.out('All eight rules are disabled: no job runs and no realtime signal (crisis alerts too) reaches the curator. Undo with `npm run ops -- start-all --reason ...`.');
  return code;
}

/** `start-all`: enables the eight rules again, the inverse of `stop-all`; kill switches are left as they are. */
export async function startAll(context: OpsContext, who: Attribution): Promise<ExitCode> {
  const code = await setRules(context, 'ENABLED', who);
  if (code === ExitCode.ok) context.out('All eight rules are enabled. Kill switches are unchanged: `npm run ops -- switches` shows them.');
  return code;
}

/** The replay event's fields as ops typed them: the flags of `ops replay`. */
const replayFlags: ReadonlyArray<[string, string]> = [
  ['detail.periodKey', '--period'],
  ['detail.vetoReason', '--veto-reason'],
  ['detail.userIds', '--users'],
  ['detail.from', '--from'],
  ['detail.to', '--to'],
  ['detail.jobType', 'the jobType'],
];

/** A refusal of the replay event, in the words of the command line (`--period: …` rather than `detail.periodKey: …`). */
export function asReplayFlags(message: string): string {
  return replayFlags.reduce((text, [field, flag]) => text.replaceAll(field, flag), message);
}

/** `replay <jobType>`: puts the replay event of DESIGN.md section 2 on the default bus, and records it. */
export async function replay(
  context: OpsContext,
  request: ReplayRequest,
  who: Attribution,
  options: { readonly wait: Follow | null; readonly shown: Shown } = { wait: null, shown: { json: false } },
): Promise<ExitCode> {
  let eventId: string;
  try {
    eventId = await publishReplay(context.events, request, context.clock.now());
  } catch (error) {
    if ((error as Error).name === 'ReplayRejectedError' && (error as { code?: string }).code === 'InvalidReplay') {
      throw new OpsError(ExitCode.usage, `not a valid replay (nothing was published): ${asReplayFlags((error as Error).message)}`);
    }
    throw explain(error, 'publishing the replay');
  }
  if (!options.shown.json) context.out(`replay of ${request.jobType} published: event ${eventId}`);
  const recorded = await record(context, {
    pipelineType: request.jobType,
    overrideType: 'replay',
    actor: who.actor,
    reason: who.reason,
    ticket: who.ticket,
    details: { environment: context.env, eventId, ...request },
    now: context.clock.now(),
  });
  if (!recorded.recorded) context.err(`WARNING: the replay was published, but the human_overrides row was not written: ${recorded.why}`);
  if (options.wait === null) {
    if (options.shown.json) context.out(JSON.stringify({ event_id: eventId, recorded: recorded.recorded }, null, 2));
    else context.out(`see what it did: npm run ops -- event ${eventId} --env ${context.env}`);
    return recorded.recorded ? ExitCode.ok : ExitCode.notRecorded;
  }
  const followed = await followEvent(context, eventId, options.wait, options.shown);
  return followed === ExitCode.ok && !recorded.recorded ? ExitCode.notRecorded : followed;
}

/**
 * `credit <userId> <cents>`: a manual credit for a support ticket. The ledger row and its override are written
 * first, in one transaction and once per ticket; the ledger id is the payment's idempotency key, so running the
 * command again for the same ticket never pays twice.
 */
export async function manualCredit(context: OpsContext, userId: string, cents: number, who: Attribution): Promise<ExitCode> {
  if (who.ticket === null) throw new OpsError(ExitCode.usage, 'credit needs --ticket (the support ticket it answers, e.g. SUP-123)');
  // Before anything is written: a credit recorded without a way to pay it could never be paid later.
  const { payments, local } = await context.payments();
  if (local) context.out('LOCAL STAND-IN: paying into the local ledger file, not Stripe; nobody is credited');
  const store = await context.store();
  const now = context.clock.now();
  let claimed: AnswerOf<typeof storeFunctions.manualCredit>;
  try {
    claimed = await store.call(storeFunctions.manualCredit, {
      userId,
      amount: cents,
      ticket: who.ticket,
      actor: who.actor,
      reason: who.reason,
      expiresAt: new Date(now.getTime() + credits.validityDays * 86_400_000),
      now,
    });
  } catch (error) {
    throw explain(error, 'writing the manual credit');
  }
  if ('refused' in claimed) throw new OpsError(ExitCode.failed, `user ${userId} has no Stripe customer: nothing was credited (NO_PAYMENT_ACCOUNT)`);
  const { ledger, customer } = claimed;
  if (ledger.stripe_balance_transaction_id) {
    context.out(`ticket ${who.ticket} was already credited: ledger ${ledger.id}, Stripe ${ledger.stripe_balance_transaction_id}`);
    return ExitCode.ok;
  }
  const [outcome] = await payments.credit([{ ledgerId: ledger.id, customerId: customer, amountCents: ledger.amount, description: `Manual credit ${who.ticket}` }]);
  if (outcome?.status !== 'succeeded') {
    await store.recordOutcomes(context.clock.now(), [
      { execution_id: null, status: 'failed', error: outcome?.error ?? 'no answer', ledger_id: ledger.id, ledger_status: 'failed' },
    ]);
    throw new OpsError(ExitCode.failed, `the payment failed: ${outcome?.error ?? 'no answer'}; run the same command again to retry`);
  }
  await store.recordOutcomes(context.clock.now(), [
    { execution_id: null, status: 'succeeded', error: null, ledger_id: ledger.id, ledger_status: 'pending', stripe_balance_transaction_id: outcome.transactionId },
  ]);
  context.out(`credited ${(ledger.amount / 100).toFixed(2)} USD to ${userId} for ${who.ticket}: ledger ${ledger.id}, transaction ${outcome.transactionId}`);
  return ExitCode.ok;
}

/** The SSM half of the guide's synthetic check: one switch can be read. */
export async function checkSsm(context: OpsContext): Promise<void> {
  try {
    await context.ssm.send(new GetParameterCommand({ Name: killSwitchPath(context.env, 'daily-digest') }));
  } catch (error) {
    throw explain(error, `reading ${killSwitchPath(context.env, 'daily-digest')}`);
  }
}
