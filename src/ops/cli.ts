import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { systemClock } from '../adapters/clock.js';
import { jsonLogger } from '../adapters/json-logger.js';
import { ssmSwitches } from '../adapters/aws/ssm-switches.js';
import { ledgerPayments } from '../adapters/local/ledger-payments.js';
import { memoryMetrics } from '../adapters/local/metrics.js';
import type { Clock, Payments } from '../curator/ports.js';
import { vetoReasonsInOrder, type VetoReason } from '../curator/verdict.js';
import type { SqlClient } from '../db/sql-client.js';
import { ConfigError, loadConfig, type CuratorConfig } from '../handlers/config.js';
import { createCuratorHandler, type CuratorResult } from '../handlers/curator.js';
import { buildDependencies, openTransport, stripeOf } from '../handlers/dependencies.js';
import { curatorFunctionName, environments, isJobType, jobTypes, pipelineOf, webhookFunctionName, type Environment, type JobType } from '../pipelines/index.js';
import { manualCreditCents, readWholeNumber, refusalText } from '../events/request-contract.js';
import { readEnvironmentSettings } from '../settings/environment-settings.js';
import { CuratorStore } from '../store/curator-store.js';
import { checkSsm, disableSwitch, enableSwitch, manualCredit, replay, ruleNames, showSwitches, startAll, stopAll } from './commands.js';
import type { OpsContext } from './context.js';
import { deployedDatabase } from './deployed.js';
import { parseTimeout, showEvent } from './follow.js';
import { listRuns, parseSince, showFamily, showRun } from './look.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { falsePositiveWindowDays } from '../ops-summary/false-positives.js';
import { markFalsePositive, showFalsePositives } from './review.js';
import { showThresholds } from './thresholds.js';
import { parseDays, showWhatIf, tune } from './what-if.js';
import { pageTest, severityOf } from './page-test.js';
import { settleBatch, showInDoubt } from './in-doubt.js';
import { lambdaFunctionMetrics } from '../adapters/aws/lambda-function-metrics.js';
import { webhookCleanSince } from '../runner/jobs/settle-unknown-emails.js';

export const usage = `usage: npm run ops -- <command> [arguments] [--env production|staging] [--region us-east-1]

commands to look (each takes --json)
  switches                         every kill switch of the environment and its state
  thresholds [slug|jobType]        every threshold, cap and ceiling in force: default, override (who set it when),
                                   overrides ignored as malformed, parameters the curator does not read
  runs [--job J] [--since 24h]     the recent runs: status, progress, counts, duration, continuations, error
  run <runId|jobType[:periodKey]>  one run in full: its attempts, decisions by outcome and reason, dry runs
  family <userId>                  one family: decisions, emails, credits, suppressions, preferences, caps now
  event <eventId>                  what the curator made of an event ops published (a replay, a dry run)
  false-positives [--since 30d]    the crisis and early-intervention alerts sent, and the share marked false
  in-doubt                         the emails a crash left of unknown outcome that SendGrid's events have not
                                   settled yet, by request batch and age, with what the settlement makes of each
  what-if <slug|all> name=value[,name=value] [--days 7]
                                   what a threshold or cap change would have done: the recorded decisions of the
                                   last days made again under it, per pipeline and day (changes nothing; the report
                                   is kept in what_if_reports). Runs in the deployed curator, where the data is

commands to act
  disable <slug|all> --reason ...  turn a pipeline (or all) off; records a human override (all: confirm or --yes)
  enable <slug|all> --reason ...   turn it back on; records a human override
  stop-all --reason ...            disable the eight EventBridge rules, crisis alerts included (confirm or --yes)
  start-all --reason ...           enable the eight rules again
  replay <jobType> [--period KEY] [--dry-run] [--veto-reason REASON --from ISO --to ISO] [--users id,id]
         [--wait [--timeout 10m]]  publish the replay event on the default bus; --wait follows it and prints
                                   what it did (a dry run: its comparison with the last real run)
  settle <batch> --sent|--failed --reason ...
                                   settle one batch's unknown emails by hand (SendGrid's activity feed says which);
                                   records a human override. --failed then publishes the replay that resends them,
                                   unless the pipeline has fired again since (then superseded: nothing sent late)
  health                           run the health job here (database, SSM, runs, missed runs) and check SSM
  page-test --severity P1|P2|P3    set storytailor-page-test-{severity} to ALARM and back: a real alarm down that
                                   severity's path (its topic, then PagerDuty or Slack); prints the topic and route.
                                   Run it after every deploy (exit 1 when the severity has no route)
  credit <userId> <cents> --ticket SUP-123 --reason ... [--local-payments]
                                   manual credit through Stripe (STRIPE_SECRET_KEY or its _SECRET_ARN), once per
                                   ticket; records a human override. --local-payments: the local stand-in, paying nobody
  tune <slug|all> name=value[,name=value] --reason ... [--ticket T] [--approved-by NAME] [--days 7]
                                   validate (each value within its range: ops thresholds shows them), show the
                                   what-if, confirm (or --yes), then write the SSM parameters and a threshold_change
                                   override with before and after. crisis-alert and early-intervention need
                                   --approved-by naming a clinicalApprovers entry of cdk.json, and are refused when
                                   the what-if shows more than 20 % of at least 5 alerts that went out held back
  tune <slug|all> name[,name] --reset --reason ...
                                   remove the overrides (back to the catalog default), recorded the same way
  false-positive <executionId|signalId> --reason ... [--undo]
                                   the clinical review: mark a crisis or early-intervention alert that went out a
                                   false positive (or undo the mark); records a human override linked to it

options
  --env        production (default) or staging
  --region     AWS region (default: AWS_REGION, else us-east-1)
  --actor      who is acting (default: your login name)
  --reason     why (required where shown)
  --ticket     the ticket the action answers
  --json       one JSON document instead of tables
  --yes        confirm disable all, stop-all and tune without a question (needed with no terminal)
  --days       the what-if window in whole days, ending now (1 to 31, default 7)
  Every period, time, amount and tunable is checked before anything is called, published or written: a refusal
  exits 2 and names the argument (runbooks/operations.md, "What the curator refuses").

exit codes: 0 done, 1 failed, unhealthy or not found, 2 bad usage or configuration (or not confirmed),
            3 no AWS credentials, 4 endpoint unreachable, 5 done but the human_overrides record could not be written,
            6 --wait timed out (the curator goes on)
The database is the one the deployed curator uses: its SUPABASE_URL from GetFunctionConfiguration of
storytailor-intelligence-curator-{env} and the service key from its Secrets Manager secret, so AWS credentials
are all on-call needs. Locally: DATABASE_URL, or SUPABASE_URL with SUPABASE_SERVICE_ROLE_KEY.`;

/** What a test or the script hands the CLI. */
export interface OpsIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Instead of the configured database (tests on PGlite). */
  readonly sql?: SqlClient;
  readonly payments?: Payments;
  readonly clock?: Clock;
  /** How `--wait` pauses between looks (tests run the curator here); default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Instead of a CloudWatch client of the command's own (tests watch what it sends). */
  readonly cloudwatch?: CloudWatchClient;
  /** Asks a yes/no question on the terminal; absent when there is none (then only --yes confirms). */
  readonly confirm?: (question: string) => Promise<boolean>;
}

/** How often `--wait` looks at the run. */
const pollMs = 2_000;

/** Before a command that stops everything: what it stops, then `--yes`, a yes on the terminal, or exit 2. */
async function confirmed(io: OpsIo, yes: boolean, what: readonly string[]): Promise<void> {
  for (const line of what) io.out(line);
  if (yes) return;
  if (io.confirm === undefined) throw new OpsError(ExitCode.usage, 'not confirmed: no terminal to ask on; add --yes to go ahead');
  if (!(await io.confirm('Go ahead? [y/N] '))) throw new OpsError(ExitCode.usage, 'not confirmed: nothing was changed');
}

/** A pipeline named by its jobType (`daily_digest`) or its slug (`daily-digest`). */
function jobTypeOf(name: string): JobType {
  if (isJobType(name)) return name;
  const bySlug = jobTypes.find((jobType) => pipelineOf(jobType).slug === name);
  if (bySlug === undefined) throw new OpsError(ExitCode.usage, `unknown pipeline "${name}": expected a jobType or slug such as daily_digest or daily-digest`);
  return bySlug;
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') throw new OpsError(ExitCode.usage, `${what} is required\n\n${usage}`);
  return value;
}

/**
 * Runs one ops command and answers its exit code; never throws. Output goes to `io.out`, errors to `io.err`.
 *
 * @example
 * process.exitCode = await runOps(process.argv.slice(2), process.env, { out: console.log, err: console.error });
 */
export async function runOps(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: OpsIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        env: { type: 'string', default: 'production' },
        region: { type: 'string' },
        actor: { type: 'string' },
        reason: { type: 'string' },
        ticket: { type: 'string' },
        period: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        'veto-reason': { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        users: { type: 'string' },
        'local-payments': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        wait: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '10m' },
        job: { type: 'string' },
        since: { type: 'string' },
        yes: { type: 'boolean', default: false },
        undo: { type: 'boolean', default: false },
        days: { type: 'string', default: '7' },
        'approved-by': { type: 'string' },
        severity: { type: 'string' },
        reset: { type: 'boolean', default: false },
        sent: { type: 'boolean', default: false },
        failed: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.out(usage);
      return command === undefined && !values.help ? ExitCode.usage : ExitCode.ok;
    }
    if (!(environments as readonly string[]).includes(values.env)) {
      throw new OpsError(ExitCode.usage, `--env must be one of ${environments.join(', ')}, got ${values.env}`);
    }
    const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const endpoint = env.AWS_ENDPOINT_URL || undefined;
    // Credentials given to this command win; otherwise the SDK's own chain (environment, profile, role).
    const credentials =
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN } }
        : {};
    const clientConfig = { region, ...(endpoint ? { endpoint } : {}), maxAttempts: 3, ...credentials };
    // Local use names its database (DATABASE_URL, SUPABASE_URL); otherwise ops reaches it as the deployed curator does.
    const namesDatabase = io.sql !== undefined || Boolean(env.DATABASE_URL) || Boolean(env.SUPABASE_URL);
    let config: Promise<CuratorConfig> | null = null;
    const configOf = () =>
      (config ??= (async () => {
        const deployed = namesDatabase
          ? {}
          : await deployedDatabase({ lambda: new LambdaClient(clientConfig), secrets: new SecretsManagerClient(clientConfig) }, values.env as Environment);
        try {
          return loadConfig({ ...env, CURATOR_ENV: values.env, AWS_REGION: region, ...deployed });
        } catch (error) {
          if (error instanceof ConfigError) throw new OpsError(ExitCode.usage, error.message);
          throw error;
        }
      })());
    let store: CuratorStore | null = null;
    let here: ReturnType<typeof createCuratorHandler> | null = null;
    const curatorHere = async () => {
      if (here !== null) return here;
      const configured = await configOf();
      const deps = await buildDependencies(
        { ...configured, aws: { ...configured.aws, region, endpoint, switchSource: 'ssm', switchTtlSeconds: 0, metrics: 'memory' } },
        {
          ...(io.sql ? { sql: io.sql } : {}),
          logger: jsonLogger(() => undefined),
          clock: io.clock ?? systemClock,
          switches: ssmSwitches({ client: new SSMClient(clientConfig), environment: values.env as Environment, ttlSeconds: 0, logger: jsonLogger(() => undefined), metrics: memoryMetrics() }),
        },
      );
      return (here = createCuratorHandler(async () => deps));
    };
    const context: OpsContext = {
      env: values.env as Environment,
      ssm: new SSMClient(clientConfig),
      events: new EventBridgeClient(clientConfig),
      clock: io.clock ?? systemClock,
      out: io.out,
      err: io.err,
      settings() {
        try {
          return readEnvironmentSettings(values.env as Environment);
        } catch (error) {
          throw new OpsError(ExitCode.usage, `reading cdk.json: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
      },
      async callerArn() {
        try {
          const identity = await new STSClient(clientConfig).send(new GetCallerIdentityCommand({}));
          if (!identity.Arn) throw new Error('STS answered no Arn');
          return identity.Arn;
        } catch (error) {
          throw explain(error, 'asking AWS who you are (sts:GetCallerIdentity)');
        }
      },
      async payments() {
        if (io.payments) return { payments: io.payments, local: false };
        const configured = await configOf();
        const stripe = await stripeOf(configured);
        if (stripe !== null) return { payments: stripe, local: false };
        if (values['local-payments']) return { payments: ledgerPayments(configured.ledgerFile), local: true };
        throw new OpsError(
          ExitCode.usage,
          `no Stripe key for ${values.env}: set STRIPE_SECRET_KEY, or STRIPE_SECRET_KEY_SECRET_ARN (the curator's secret), to pay through Stripe; --local-payments uses the local stand-in (${configured.ledgerFile}), which pays nobody`,
        );
      },
      async curator(event) {
        if (namesDatabase) return (await curatorHere())(event);
        const name = curatorFunctionName(values.env as Environment);
        const answer = await new LambdaClient(clientConfig).send(new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(event)) }));
        const payload = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
        if (answer.FunctionError) throw new OpsError(ExitCode.failed, `${name} failed (${answer.FunctionError}): ${payload.slice(0, 500)}`);
        return JSON.parse(payload) as CuratorResult;
      },
      async store() {
        if (store !== null) return store;
        const configured = await configOf();
        store = new CuratorStore(await openTransport(configured, io.sql));
        return store;
      },
    };
    const who = {
      actor: values.actor ?? env.USER ?? userInfo().username,
      reason: values.reason ?? '',
      ticket: values.ticket ?? null,
    };

    const shown = { json: values.json };

    switch (command) {
      case 'switches':
        return await showSwitches(context);
      case 'thresholds': {
        const only = rest[0] === undefined ? null : jobTypeOf(rest[0]);
        return await showThresholds(context, only, shown);
      }
      case 'runs':
        return await listRuns(context, { job: values.job ?? null, sinceMs: parseSince(values.since ?? '24h'), shown });
      case 'run':
        return await showRun(context, required(rest[0], 'the run (its id, or jobType[:periodKey])'), shown);
      case 'family':
        return await showFamily(context, required(rest[0], 'the user id'), shown);
      case 'event':
        return await showEvent(context, required(rest[0], 'the event id (ops replay prints it)'), shown);
      case 'false-positives':
        return await showFalsePositives(context, parseSince(values.since ?? `${falsePositiveWindowDays}d`), shown);
      case 'false-positive':
        return await markFalsePositive(context, required(rest[0], 'the execution id or signalId of the alert'), values.undo, { ...who, reason: required(values.reason, '--reason') }, shown);
      case 'disable': {
        const slug = required(rest[0], 'the switch (a pipeline slug or all)');
        const reason = required(values.reason, '--reason');
        if (slug === 'all') {
          await confirmed(io, values.yes, [
            `disable all turns off every pipeline in ${values.env}: no digest, insight, credit or report, and crisis alerts too`,
            '(the curator vetoes them KILL_SWITCH_OFF, recorded; undo with `npm run ops -- enable all --reason ...`).',
          ]);
        }
        return await disableSwitch(context, slug, { ...who, reason });
      }
      case 'enable':
        return await enableSwitch(context, required(rest[0], 'the switch (a pipeline slug or all)'), { ...who, reason: required(values.reason, '--reason') });
      case 'stop-all': {
        const reason = required(values.reason, '--reason');
        await confirmed(io, values.yes, [
          `stop-all disables the eight EventBridge rules of ${values.env}; nothing reaches the curator, crisis alerts included:`,
          ...ruleNames(context.env).map((rule) => `  ${rule.name}: ${rule.starts}`),
        ]);
        return await stopAll(context, { ...who, reason });
      }
      case 'start-all':
        return await startAll(context, { ...who, reason: required(values.reason, '--reason') });
      case 'replay': {
        const jobType = required(rest[0], 'the jobType to replay');
        if (!isJobType(jobType)) throw new OpsError(ExitCode.usage, `unknown jobType "${jobType}"`);
        const vetoReason = values['veto-reason'];
        if (vetoReason !== undefined && !vetoReasonsInOrder.includes(vetoReason as VetoReason)) {
          throw new OpsError(ExitCode.usage, `--veto-reason must be one of ${vetoReasonsInOrder.join(', ')}`);
        }
        return await replay(
          context,
          {
            jobType,
            ...(values.period ? { periodKey: values.period } : {}),
            ...(vetoReason ? { vetoReason: vetoReason as VetoReason } : {}),
            ...(values.from ? { from: values.from } : {}),
            ...(values.to ? { to: values.to } : {}),
            ...(values.users ? { userIds: values.users.split(',').map((id) => id.trim()) } : {}),
            ...(values['dry-run'] ? { dryRun: true } : {}),
          },
          { ...who, reason: values.reason ?? 'manual replay' },
          {
            wait: values.wait ? { timeoutMs: parseTimeout(values.timeout), pollMs, sleep: io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))) } : null,
            shown,
          },
        );
      }
      case 'health': {
        await checkSsm(context);
        await context.store();
        // The health job runs here whichever database ops reaches: it checks what ops can reach.
        const result = await (await curatorHere())({ detail: { jobType: 'health' } });
        io.out(JSON.stringify(result.ok && result.kind === 'health' ? result.health : result, null, 2));
        return result.ok && result.status === 'succeeded' ? ExitCode.ok : ExitCode.failed;
      }
      case 'in-doubt': {
        const configured = await configOf();
        const webhook = namesDatabase ? undefined : lambdaFunctionMetrics(io.cloudwatch ?? new CloudWatchClient(clientConfig), webhookFunctionName(context.env));
        const silent = jsonLogger(() => undefined);
        return await showInDoubt(context, { graceMinutes: configured.evidenceGraceMinutes, webhookCleanSince: () => webhookCleanSince(webhook, context.clock.now(), silent) }, shown);
      }
      case 'settle': {
        const batch = required(rest[0], 'the request batch (ops in-doubt lists them)');
        if (values.sent === values.failed) throw new OpsError(ExitCode.usage, 'say what happened: exactly one of --sent (SendGrid has it) or --failed (it never reached SendGrid)');
        return await settleBatch(context, batch, values.sent ? 'sent' : 'failed', { ...who, reason: required(values.reason, '--reason') }, shown);
      }
      case 'page-test':
        return await pageTest(context, io.cloudwatch ?? new CloudWatchClient(clientConfig), severityOf(values.severity), who.actor, shown);
      case 'what-if':
        return await showWhatIf(context, rest[0], rest.slice(1), parseDays(values.days), shown);
      case 'tune':
        return await tune(
          context,
          {
            scope: rest[0],
            assignments: rest.slice(1),
            reset: values.reset,
            approvedBy: values['approved-by'] ?? null,
            days: parseDays(values.days),
            yes: values.yes,
            confirm: io.confirm,
          },
          who,
          shown,
        );
      case 'credit': {
        const userId = required(rest[0], 'the user id');
        const cents = readWholeNumber('the amount in cents', required(rest[1], 'the amount in cents'), manualCreditCents);
        if (!/^[0-9a-f-]{36}$/i.test(userId)) throw new OpsError(ExitCode.usage, `the user id must be a uuid, got ${userId}`);
        if (!cents.ok) throw new OpsError(ExitCode.usage, refusalText(cents.refusal));
        return await manualCredit(context, userId, cents.value, { ...who, reason: required(values.reason, '--reason') });
      }
      default:
        throw new OpsError(ExitCode.usage, `unknown command "${command}"\n\n${usage}`);
    }
  } catch (error) {
    const failure = error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
      ? new OpsError(ExitCode.usage, `${error.message}\n\n${usage}`)
      : explain(error, 'ops');
    io.err(failure.message);
    return failure.exitCode;
  }
}
