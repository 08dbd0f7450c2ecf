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

/** The database was made by migrations that no longer exist (before the squash into one baseline): recreate it. */
export class StaleDatabaseError extends Error {
  override readonly name = 'StaleDatabaseError';
}
