/** How a provider call is retried: attempts in all, exponential backoff with jitter, Retry-After honoured. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is cut to it, so one answer cannot stall a run. */
  readonly maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4_000, maxRetryAfterMs: 20_000 };

/** What a failed attempt means: try again (after `retryAfterMs` if the provider said), or stop. */
export interface Classified {
  readonly transient: boolean;
  readonly retryAfterMs?: number;
}

/** Reads a Retry-After header: seconds, or an HTTP date. */
export function retryAfterMs(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1_000;
  const date = Date.parse(String(value));
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Calls `attempt` until it succeeds, the error is not transient, or the attempts run out; then throws the last
 * error. Between attempts it waits what the provider asked (Retry-After), else base x 2^n with full jitter.
 *
 * @example
 * await withRetries(policy, () => client.send(request), classifySendGridError);
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
  classify: (error: unknown) => Classified,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      const classified = classify(error);
      if (!classified.transient || attemptNumber >= policy.attempts) throw error;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attemptNumber - 1)) * Math.random();
      const asked = classified.retryAfterMs === undefined ? undefined : Math.min(classified.retryAfterMs, policy.maxRetryAfterMs);
      await sleep(asked ?? backoff);
    }
  }
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of the answers. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}
