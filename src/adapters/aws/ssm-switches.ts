import type { SSMClient } from '@aws-sdk/client-ssm';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { MetricName, type Logger, type Metrics, type SwitchSnapshot, type SwitchSource } from '../../curator/ports.js';
import { parameterRoot, type Environment } from '../../pipelines/index.js';

/** After a failed read, SSM is not asked again for this long (or the TTL, if shorter). */
const failureBackoffMs = 30_000;

/**
 * The kill switches and tunables from SSM Parameter Store: every parameter under `/storytailor-{env}/pipelines/`
 * in one paginated, recursive GetParametersByPath, cached for `ttlSeconds` (5 minutes in Lambda) by Powertools
 * across warm invocations. The SDK client retries throttling. When SSM cannot be read, the last values read are
 * served (marked stale); with none, the snapshot is empty and the decision's policy applies (email and credit
 * veto, a crisis alert proceeds). Each failure is logged and counted (SwitchReadFailures).
 *
 * @example
 * const switches = ssmSwitches({ client: new SSMClient({ maxAttempts: 5 }), environment: 'production', ttlSeconds: 300, logger, metrics });
 */
export function ssmSwitches(options: {
  client: SSMClient;
  environment: Environment;
  ttlSeconds: number;
  logger: Logger;
  metrics: Metrics;
}): SwitchSource {
  const provider = new SSMProvider({ awsSdkV3Client: options.client });
  const path = parameterRoot(options.environment);
  let lastGood: ReadonlyMap<string, string> | null = null;
  let quietUntil = 0;

  return {
    async read(): Promise<SwitchSnapshot> {
      if (Date.now() < quietUntil) return { parameters: lastGood, stale: lastGood !== null };
      try {
        const values = await provider.getMultiple(path, { recursive: true, maxAge: options.ttlSeconds, decrypt: false });
        lastGood = new Map(Object.entries(values ?? {}).flatMap(([key, value]) => (typeof value === 'string' ? [[key, value]] : [])));
        return { parameters: lastGood, stale: false };
      } catch (error) {
        quietUntil = Date.now() + Math.min(failureBackoffMs, options.ttlSeconds * 1_000);
        options.metrics.record({ name: MetricName.SwitchReadFailures, value: 1, unit: 'Count' });
        options.logger.error(
          lastGood === null
            ? 'kill switches unreadable and never read: email and credit pipelines veto, crisis alerts proceed'
            : 'kill switches unreadable: using the values last read',
          { path, error: error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error) },
        );
        return { parameters: lastGood, stale: lastGood !== null };
      }
    },
  };
}
