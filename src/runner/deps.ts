import type { Clock, Continuations, FunctionMetrics, Logger, Mailer, Metrics, Payments, SwitchSource } from '../curator/ports.js';
import type { Environment } from '../pipelines/index.js';
import type { CuratorStore } from '../store/curator-store.js';

/** Settings of the runner, validated by the handler's configuration. */
export interface RunnerConfig {
  readonly environment: Environment;
  /** Candidates per SQL round trip, and so per send batch. */
  readonly pageSize: number;
  /** How long a run's lease lasts without a page finishing; longer than the Lambda timeout. */
  readonly leaseSeconds: number;
  /** Who holds leases taken by this invocation (the Lambda request id). */
  readonly owner: string;
  /** SendGrid dynamic template id per email type; an email type without one uses its own name. */
  readonly templates: Readonly<Record<string, string>>;
  /** Pages recording and acting at once while the next page loads (1: one page after another). */
  readonly pagesInFlight?: number;
  /** Milliseconds this invocation has left (the Lambda context's); absent outside Lambda. */
  readonly remainingMs?: () => number;
  /** With less than this left, a run stops at the next page boundary and continues in a new invocation. */
  readonly continuationMarginMs?: number;
  /**
   * A digest or insights population larger than this is split into shards of this many subjects, each walked by
   * its own invocation from the work queue; absent (or without continuations) one invocation walks it all.
   */
  readonly shardSize?: number;
  /** How this invocation's event came: straight from EventBridge or Lambda (`direct`), or from the work queue. */
  readonly delivery?: 'direct' | 'work_queue';
  /** Internal addresses that receive a digest or insights run's first send; a failure there stops the run. */
  readonly canaryRecipients?: readonly string[];
  /** Who receives the morning ops summary; none: it is not sent. */
  readonly opsSummaryRecipients?: readonly string[];
  /** How long an email of unknown outcome waits for SendGrid's events before it may be settled failed (default 30). */
  readonly evidenceGraceMinutes?: number;
}

/** Everything a job needs, wired once by the handler. */
export interface CuratorDeps {
  readonly store: CuratorStore;
  readonly switches: SwitchSource;
  readonly metrics: Metrics;
  readonly mailer: Mailer;
  readonly payments: Payments;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: RunnerConfig;
  /** Where a run continues when it nears the deadline; without it a run goes on to the end. */
  readonly continuations?: Continuations;
  /** The curator's Lambda errors and throttles, for the morning summary; absent where there is no Lambda (locally). */
  readonly functionMetrics?: FunctionMetrics;
  /** The SendGrid webhook's, for the settlement of unknown emails (a failing webhook may have lost their evidence). */
  readonly webhookMetrics?: FunctionMetrics;
}
