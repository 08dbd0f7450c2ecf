import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { curatorFunctionName, type Environment } from '../pipelines/index.js';
import { ExitCode, explain, OpsError } from './errors.js';

/**
 * The database settings of the curator deployed in `env`, so on-call needs AWS credentials only: the Supabase URL
 * and the secrets' ARNs from `GetFunctionConfiguration`, and the service key read from its Secrets Manager secret
 * here (held in memory, never printed). Answers environment variables as `loadConfig` reads them.
 */
export async function deployedDatabase(clients: { lambda: LambdaClient; secrets: SecretsManagerClient }, env: Environment): Promise<Record<string, string>> {
  const name = curatorFunctionName(env);
  let variables: Record<string, string>;
  try {
    const found = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    variables = found.Environment?.Variables ?? {};
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new OpsError(
        ExitCode.usage,
        `no database: ${name} is not deployed in this account and region, and neither DATABASE_URL nor SUPABASE_URL with SUPABASE_SERVICE_ROLE_KEY is set`,
        { cause: error },
      );
    }
    throw explain(error, `reading the configuration of ${name}`);
  }
  const arn = variables.SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN;
  if (!variables.SUPABASE_URL || !arn) throw new OpsError(ExitCode.usage, `${name} has no SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN to reach its database with`);
  let key: string | undefined;
  try {
    key = (await clients.secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  } catch (error) {
    throw explain(error, `reading the Supabase service key (${arn})`);
  }
  if (!key) throw new OpsError(ExitCode.failed, `the secret ${arn} holds no string value`);
  // Stripe as the curator pays: `ops credit` reads the same secret when it pays.
  const stripe = variables.STRIPE_SECRET_KEY_SECRET_ARN;
  // `ops in-doubt` judges by the curator's own grace window.
  const grace = variables.CURATOR_EVIDENCE_GRACE_MINUTES;
  return {
    SUPABASE_URL: variables.SUPABASE_URL,
    SUPABASE_SERVICE_ROLE_KEY: key,
    ...(stripe ? { STRIPE_SECRET_KEY_SECRET_ARN: stripe } : {}),
    ...(grace ? { CURATOR_EVIDENCE_GRACE_MINUTES: grace } : {}),
  };
}
