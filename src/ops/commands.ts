import { DescribeRuleCommand, DisableRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { storeFunctions, type AnswerOf } from '../store/functions.js';
import { GetParameterCommand, PutParameterCommand, type SSMClient, paginateGetParametersByPath } from '@aws-sdk/client-ssm';
import { publishReplay, type ReplayRequest } from '../adapters/aws/replay-publisher.js';
import type { Clock, Payments } from '../curator/ports.js';
import { parseSwitch } from '../curator/switches.js';
import {
  credits,
  globalSwitchSlug,
  killSwitchPath,
  killSwitchSlugs,
  parameterRoot,
  pipelines,
  rules,
  type Environment,
  type JobType,
} from '../pipelines/index.js';
import type { CuratorStore } from '../store/curator-store.js';
import { ExitCode, explain, OpsError } from './errors.js';

/** What every command may use, made by the CLI from its flags and environment. */
export interface OpsContext {
  readonly env: Environment;
  readonly ssm: SSMClient;
  readonly events: EventBridgeClient;
  /** Opened only by the commands that record or read the database. */
  readonly store: () => Promise<CuratorStore>;
  /** Stripe as the curator pays, or the local stand-in when asked for (`local`); throws when neither is configured. */
  readonly payments: () => Promise<{ readonly payments: Payments; readonly local: boolean }>;
  readonly clock: Clock;
  readonly out: (line: string) => void;
}

/** Who did it and why: every flip, stop and credit carries both. */
export interface Attribution {
  readonly actor: string;
  readonly reason: string;
  readonly ticket: string | null;
}

/** The jobType a kill switch slug belongs to, or `all`. */
export function pipelineTypeOfSlug(slug: string): JobType | 'all' {
  if (slug === globalSwitchSlug) return 'all';
  const found = (Object.keys(pipelines) as JobType[]).find((jobType) => pipelines[jobType].slug === slug);
  if (found === undefined) {
    throw new OpsError(ExitCode.usage, `unknown switch "${slug}": expected one of ${killSwitchSlugs().join(', ')}`);
  }
  return found;
}

/** `switches`: every kill switch of the environment, with its value and what the curator makes of it. */
export async function showSwitches(context: OpsContext): Promise<ExitCode> {
  const values = new Map<string, string>();
  try {
    for await (const page of paginateGetParametersByPath({ client: context.ssm }, { Path: parameterRoot(context.env), Recursive: true })) {
      for (const parameter of page.Parameters ?? []) if (parameter.Name && parameter.Value !== undefined) values.set(parameter.Name, parameter.Value);
    }
  } catch (error) {
    throw explain(error, `reading ${parameterRoot(context.env)}`);
  }
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
    context.out(`WARNING: the switch is off, but the human_overrides row was not written: ${recorded.why}`);
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

/** `stop-all`: disables the eight EventBridge rules, then records it. A rule that does not exist fails the command. */
export async function stopAll(context: OpsContext, who: Attribution): Promise<ExitCode> {
  const names = Object.keys(rules).map((slug) => `storytailor-${slug}-${context.env}`);
  const missing: string[] = [];
  for (const name of names) {
    try {
      await context.events.send(new DisableRuleCommand({ Name: name }));
      const state = await context.events.send(new DescribeRuleCommand({ Name: name }));
      context.out(`${name}: ${state.State ?? 'unknown'}`);
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') {
        missing.push(name);
        context.out(`${name}: NOT FOUND`);
        continue;
      }
      throw explain(error, `disabling ${name}`);
    }
  }
  const recorded = await record(context, {
    pipelineType: 'all',
    overrideType: 'stop_all',
    actor: who.actor,
    reason: who.reason,
    ticket: who.ticket,
    details: { environment: context.env, rules: names, missing },
    now: context.clock.now(),
  });
  if (missing.length > 0) throw new OpsError(ExitCode.failed, `${missing.length} rule(s) not found: ${missing.join(', ')}`);
  if (!recorded.recorded) {
    context.out(`WARNING: the rules are disabled, but the human_overrides row was not written: ${recorded.why}`);
    return ExitCode.notRecorded;
  }
  context.out('All eight rules are disabled. Realtime signals stop too; re-enable with `aws events enable-rule --name ...`.');
  return ExitCode.ok;
}

/** `replay <jobType>`: puts the replay event of DESIGN.md section 2 on the default bus, and records it. */
export async function replay(context: OpsContext, request: ReplayRequest, who: Attribution): Promise<ExitCode> {
  let eventId: string;
  try {
    eventId = await publishReplay(context.events, request);
  } catch (error) {
    if ((error as Error).name === 'ReplayRejectedError' && (error as { code?: string }).code === 'InvalidReplay') {
      throw new OpsError(ExitCode.usage, `not a valid replay: ${(error as Error).message}`);
    }
    throw explain(error, 'publishing the replay');
  }
  context.out(`replay of ${request.jobType} published: event ${eventId}`);
  const recorded = await record(context, {
    pipelineType: request.jobType,
    overrideType: 'replay',
    actor: who.actor,
    reason: who.reason,
    ticket: who.ticket,
    details: { environment: context.env, eventId, ...request },
    now: context.clock.now(),
  });
  if (!recorded.recorded) {
    context.out(`WARNING: the replay was published, but the human_overrides row was not written: ${recorded.why}`);
    return ExitCode.notRecorded;
  }
  return ExitCode.ok;
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
