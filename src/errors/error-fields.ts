/** An email address as it may appear in an error: a Postgres error can quote a row's values, addresses among them. */
const address = /[^\s@'"<>(),;:]+@[^\s@'"<>(),;:]+\.[A-Za-z]{2,}/g;

/** Error text as it may be logged: every address replaced by `<address>`. */
export const redacted = (text: string): string => text.replace(address, '<address>');

/** What a log line says of a caught error. */
export type ErrorFields = {
  /** Its message: the field the guides' "Find Email Failures" query reads. */
  readonly error: string;
  readonly error_name?: string;
  /** The causes it wraps, outermost first (`name: message`), at most five. */
  readonly error_causes?: readonly string[];
};

/**
 * A caught error as a log line carries it: message, name and the chain of causes, each redacted.
 *
 * @example
 * deps.logger.error('metrics flush failed', errorFields(error));
 */
export function errorFields(error: unknown): ErrorFields {
  if (!(error instanceof Error)) return { error: redacted(String(error)) };
  const causes: string[] = [];
  let cause: unknown = error.cause;
  for (let depth = 0; cause !== undefined && cause !== null && depth < 5; depth += 1) {
    causes.push(redacted(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return { error: redacted(error.message), error_name: error.name, ...(causes.length > 0 ? { error_causes: causes } : {}) };
}
