import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretRef } from '../../wiring/config.js';

/** How long a secret read from Secrets Manager is kept across warm invocations. */
const secretMaxAgeSeconds = 900;

/**
 * Reads secrets: a value given locally as is, an ARN from Secrets Manager (through Powertools, cached). The value
 * is returned to the caller only; it is never logged.
 *
 * @example
 * const read = secretReader(new SecretsManagerClient({}));
 * const apiKey = await read({ arn: process.env.SENDGRID_API_KEY_SECRET_ARN! });
 */
export function secretReader(client: SecretsManagerClient): (ref: SecretRef & object) => Promise<string> {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  return async (ref) => {
    if ('value' in ref) return ref.value;
    const value = await provider.get(ref.arn, { maxAge: secretMaxAgeSeconds });
    if (typeof value !== 'string' || value.length === 0) throw new Error(`secret ${ref.arn} holds no string value`);
    return value;
  };
}

export { SecretsManagerClient };
