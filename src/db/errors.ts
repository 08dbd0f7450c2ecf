/** A migration file failed to apply; `file` names it and `cause` holds the database's error. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly file: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`migration ${file} failed: ${reason}`, options);
  }
}
