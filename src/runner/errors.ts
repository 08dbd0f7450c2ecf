/** A request the runner cannot carry out as asked (a period that does not exist, a replay of nothing). */
export class JobRequestError extends Error {
  override readonly name = 'JobRequestError';
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${message}`, options);
  }
}

/** The canary send of a run failed: nothing was sent to families, and the run is recorded failed. */
export class CanaryFailedError extends Error {
  override readonly name = 'CanaryFailedError';
}
