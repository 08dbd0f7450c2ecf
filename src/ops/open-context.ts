import { randomUUID } from 'node:crypto';
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
import type { SqlClient } from '../db/sql-client.js';
import { curatorFunctionName, type Environment } from '../pipelines/index.js';
import type { CuratorDeps } from '../runner/deps.js';
import type { CuratorResult } from '../runner/job-result.js';
import { runRequest } from '../wiring/run-request.js';
import { readEnvironmentSettings } from '../settings/environment-settings.js';
import { CuratorStore } from '../store/curator-store.js';
import { ConfigError, loadConfig, type CuratorConfig } from '../wiring/config.js';
import { buildDependencies, openTransport, stripeOf } from '../wiring/dependencies.js';
import type { OpsContext } from './context.js';
import { deployedDatabase } from './deployed.js';
import { ExitCode, explain, OpsError } from './errors.js';

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

/**
 * What every command may use, made once per command line: AWS clients in the region asked for (credentials given
 * to the command win, else the SDK's own chain), and the database ops names or else the deployed curator's (its
 * SUPABASE_URL and service key, read from the function), opened only when a command needs it.
 */
export function openContext(environment: Environment, region: string, env: Readonly<Record<string, string | undefined>>, io: OpsIo): OpsContext {
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN } }
      : {};
  const clientConfig = { region, ...(endpoint ? { endpoint } : {}), maxAttempts: 3, ...credentials };
  const namesDatabase = io.sql !== undefined || Boolean(env.DATABASE_URL) || Boolean(env.SUPABASE_URL);
  const clock = io.clock ?? systemClock;

  let config: Promise<CuratorConfig> | null = null;
  const configOf = () =>
    (config ??= (async () => {
      const deployed = namesDatabase
        ? {}
        : await deployedDatabase({ lambda: new LambdaClient(clientConfig), secrets: new SecretsManagerClient(clientConfig) }, environment);
      try {
        return loadConfig({ ...env, CURATOR_ENV: environment, AWS_REGION: region, ...deployed });
      } catch (error) {
        if (error instanceof ConfigError) throw new OpsError(ExitCode.usage, error.message, { cause: error });
        throw error;
      }
    })());

  let here: Promise<CuratorDeps> | null = null;
  // A job ops runs here (health, a what-if on a named database) goes through the contract as the handler's do.
  const runHere = async (event: unknown): Promise<CuratorResult> => {
    here ??= (async () => {
      const configured = await configOf();
      const silent = jsonLogger(() => undefined);
      return buildDependencies(
        { ...configured, aws: { ...configured.aws, region, endpoint, switchSource: 'ssm', switchTtlSeconds: 0, metrics: 'memory' } },
        {
          ...(io.sql ? { sql: io.sql } : {}),
          logger: silent,
          clock,
          switches: ssmSwitches({ client: new SSMClient(clientConfig), environment, ttlSeconds: 0, logger: silent, metrics: memoryMetrics() }),
        },
      );
    })();
    return runRequest(await here, event, { delivery: 'direct', owner: randomUUID() });
  };

  let store: Promise<CuratorStore> | null = null;
  return {
    env: environment,
    ssm: new SSMClient(clientConfig),
    events: new EventBridgeClient(clientConfig),
    clock,
    namesDatabase,
    out: io.out,
    err: io.err,
    config: configOf,
    cloudwatch: () => io.cloudwatch ?? new CloudWatchClient(clientConfig),
    sleep: io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    settings() {
      try {
        return readEnvironmentSettings(environment);
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
    async payments(allowLocal) {
      if (io.payments) return { payments: io.payments, local: false };
      const configured = await configOf();
      const stripe = await stripeOf(configured);
      if (stripe !== null) return { payments: stripe, local: false };
      if (allowLocal) return { payments: ledgerPayments(configured.ledgerFile, clock), local: true };
      throw new OpsError(
        ExitCode.usage,
        `no Stripe key for ${environment}: set STRIPE_SECRET_KEY, or STRIPE_SECRET_KEY_SECRET_ARN (the curator's secret), to pay through Stripe; --local-payments uses the local stand-in (${configured.ledgerFile}), which pays nobody`,
      );
    },
    async curator(event) {
      if (namesDatabase) return runHere(event);
      const name = curatorFunctionName(environment);
      const answer = await new LambdaClient(clientConfig).send(new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(event)) }));
      const payload = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
      if (answer.FunctionError) throw new OpsError(ExitCode.failed, `${name} failed (${answer.FunctionError}): ${payload.slice(0, 500)}`);
      return JSON.parse(payload) as CuratorResult;
    },
    runHere,
    async store() {
      store ??= configOf().then(async (configured) => new CuratorStore(await openTransport(configured, io.sql)));
      return store;
    },
  };
}
