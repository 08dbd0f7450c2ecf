import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../../curator/ports.js';
import { withoutSecrets } from '../json-logger.js';

/**
 * The curator's logs through Powertools: one JSON object per line with a top-level `level` (`INFO`, `WARN`,
 * `ERROR`), the service, the Lambda context when there is one, and the caller's fields at the top level, so
 * the guide's Logs Insights queries (`filter vetoed = true`, `filter status = "failed"`) find them. Fields named
 * like an address or a secret are dropped.
 */
export function powertoolsLogger(serviceName: string, persistentKeys: Readonly<Record<string, string>> = {}): Logger {
  const logger = new PowertoolsLogger({ serviceName, persistentKeys: { ...persistentKeys } });
  return {
    info: (message, fields = {}) => logger.info(message, withoutSecrets(fields)),
    warn: (message, fields = {}) => logger.warn(message, withoutSecrets(fields)),
    error: (message, fields = {}) => logger.error(message, withoutSecrets(fields)),
  };
}
