/** Exit codes the ops commands keep, so scripts can rely on them. */
export const ExitCode = {
  ok: 0,
  /** The action failed, or the system is unhealthy. */
  failed: 1,
  /** The command line or the configuration is wrong (a bad slug, a missing --reason, no database). */
  usage: 2,
  /** No AWS credentials were found. */
  noCredentials: 3,
  /** An endpoint (AWS or the database) could not be reached. */
  unreachable: 4,
  /** The action was taken, but its human_overrides record could not be written. */
  notRecorded: 5,
  /** `--wait` gave up before the curator was done; the work goes on. */
  timedOut: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An ops command stopped for a reason it can name; `exitCode` says which. */
export class OpsError extends Error {
  override readonly name = 'OpsError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

const networkCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN']);

function networkCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && networkCodes.has(code)) return code;
    const nested = (current as { errors?: unknown[] }).errors?.[0];
    current = nested ?? current.cause;
  }
  return undefined;
}

/** What an AWS SDK, database or other error means to the person at the keyboard, and the exit code it maps to. */
export function explain(error: unknown, what: string): OpsError {
  if (error instanceof OpsError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new OpsError(
      ExitCode.noCredentials,
      `${what}: no AWS credentials found. Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`,
      { cause: error },
    );
  }
  const code = networkCode(error);
  if (code !== undefined || name === 'TimeoutError') {
    return new OpsError(ExitCode.unreachable, `${what}: cannot reach the endpoint (${code ?? name}): ${message}`, { cause: error });
  }
  return new OpsError(ExitCode.failed, `${what}: ${name ? `${name}: ` : ''}${message}`, { cause: error });
}
