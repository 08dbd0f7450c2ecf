import type { Logger } from '../curator/ports.js';

/**
 * The logger with `fields` on every line: the handler adds the Lambda request id, held work its run and period,
 * so one Logs Insights filter (`filter run_id = "…"`) isolates one run and `request_id` one invocation.
 */
export function withFields(logger: Logger, fields: Readonly<Record<string, unknown>>): Logger {
  return {
    info: (message, more) => logger.info(message, { ...fields, ...more }),
    warn: (message, more) => logger.warn(message, { ...fields, ...more }),
    error: (message, more) => logger.error(message, { ...fields, ...more }),
  };
}
