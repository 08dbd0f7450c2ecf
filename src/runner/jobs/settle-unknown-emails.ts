import type { FunctionMetrics, Logger } from '../../curator/ports.js';
import { isJobType, jobTypes, lastFiring, pipelineOf, type JobType } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import type { ReplayJob } from '../../requests/job-request.js';
import type { CuratorDeps } from '../deps.js';
import { errorFields } from '../../errors/error-fields.js';

/** Processed events of requests made this long after a batch prove SendGrid was accepting, and its events reaching us. */
export const laterRequestSeconds = 600;
/** SendGrid retries a delivery our webhook did not answer 2xx for up to a day: its trouble is looked back on as long. */
const webhookLookbackMs = 24 * 3_600_000;
/** The grace window when the configuration does not set one (CURATOR_EVIDENCE_GRACE_MINUTES). */
export const defaultGraceMinutes = 30;

/**
 * The email pipelines whose emails of unknown outcome the health job settles. Crisis alerts are not among them: a
 * crisis alert is taken again on redelivery and rechecked two minutes after its claim, since 15 minutes is past its SLA.
 */
export const settledPipelines: readonly JobType[] = jobTypes.filter((jobType) => {
  const pipeline = pipelineOf(jobType);
  return pipeline.channel === 'email' && !pipeline.critical;
});

/** Every pipeline that sends email: `ops in-doubt` lists theirs, crisis alerts included. */
export const emailPipelines: readonly JobType[] = jobTypes.filter((jobType) => pipelineOf(jobType).channel === 'email');

/** What a settlement did and left, as the health check reports it. */
export interface Settlement {
  /** Within the grace window, waiting for SendGrid's events. */
  readonly awaiting: number;
  readonly failed: number;
  readonly superseded: number;
  readonly replaysQueued: number;
  readonly inDoubt: number;
  readonly inDoubtBecause: Readonly<Record<string, number>>;
}

/**
 * Since when the webhook has had no error or throttle, as far as CloudWatch can tell: the end of its last trouble in
 * the last day, or the start of that day. Null where there is no CloudWatch (locally): webhook_deliveries alone then
 * says whether it refused a delivery. A failure to read it counts as trouble until now, so nothing is settled failed.
 */
export async function webhookCleanSince(metrics: FunctionMetrics | undefined, now: Date, logger: Logger): Promise<Date | null> {
  if (metrics === undefined) return null;
  const from = new Date(now.getTime() - webhookLookbackMs);
  try {
    return (await metrics.lastTrouble(from, now)) ?? from;
  } catch (error) {
    logger.error('could not read the webhook metrics; no email is settled failed', errorFields(error));
    return now;
  }
}

/**
 * The replay of failed outcomes that redoes a batch settled failed: its pipeline's executions created in its range.
 * The range ends a second after its last one, since a page's claims share one created_at and a replay's range must
 * not be empty.
 */
export function replayOfFailed(jobType: JobType, from: string, to: string): ReplayJob {
  const range = { from: new Date(from), to: new Date(new Date(to).getTime() + 1_000) };
  return { kind: 'replay', jobType, periodKey: null, userIds: null, vetoReason: null, ...range, eventId: null, dryRun: false };
}

/** Each scheduled pipeline's latest firing: a batch recorded before it is superseded, not sent late. */
export function latestFirings(now: Date): Record<string, string> {
  return Object.fromEntries(
    emailPipelines.flatMap((jobType) => {
      const firing = lastFiring(jobType, now);
      return firing === null ? [] : [[jobType, firing.scheduledTime.toISOString()]];
    }),
  );
}

/** What a settlement reads and writes: the health job hands it the curator's dependencies, the webhook its own. */
export type SettlementDeps = Pick<CuratorDeps, 'store' | 'clock' | 'logger' | 'continuations' | 'webhookMetrics'> & {
  readonly config: Pick<CuratorDeps['config'], 'evidenceGraceMinutes'>;
};

/**
 * Settles the emails a crash left of unknown outcome, by SendGrid's evidence only (curator_settle_unknown_emails):
 * those of a request SendGrid gave an event for are settled sent by the webhook as the event comes; those of a request
 * SendGrid provably never received (past the grace window, later requests' Processed events arrived, the webhook
 * answered everything since) are settled failed and their pipeline's replay of failed outcomes queued on the work
 * queue, or recorded superseded when their pipeline has fired again since. What neither settles stays unknown: the
 * answer counts it, with why, and the health job reports it as EmailsInDoubt. The webhook and the health job both
 * run it; a batch is settled and replayed once whichever comes first.
 */
export async function settleUnknownEmails(deps: SettlementDeps): Promise<Settlement> {
  const now = deps.clock.now();
  const graceMinutes = deps.config.evidenceGraceMinutes ?? defaultGraceMinutes;
  const answer = await deps.store.call(storeFunctions.settleUnknownEmails, {
    pipelines: settledPipelines,
    now,
    graceSeconds: graceMinutes * 60,
    laterSeconds: laterRequestSeconds,
    webhookCleanSince: await webhookCleanSince(deps.webhookMetrics, now, deps.logger),
    supersededBefore: latestFirings(now),
  });
  const replays = answer.failed_batches.flatMap((batch) =>
    isJobType(batch.pipeline_type) ? [replayOfFailed(batch.pipeline_type, batch.from, batch.to)] : [],
  );
  if (answer.settled > 0) {
    deps.logger.error('emails SendGrid never received settled failed', {
      failed: answer.failed,
      superseded: answer.superseded,
      batches: answer.failed_batches.map(({ batch, pipeline_type, emails }) => ({ batch, pipeline_type, emails })),
    });
  }
  if (replays.length > 0) {
    if (deps.continuations) await deps.continuations.continueWith(replays);
    else deps.logger.error('no work queue: replay these failed outcomes by hand', { replays: replays.map(({ jobType, from, to }) => ({ jobType, from, to })) });
  }
  const inDoubtBecause = Object.fromEntries(Object.entries(answer.in_doubt_by_reason).filter(([, count]) => count > 0));
  return {
    awaiting: answer.awaiting,
    failed: answer.failed,
    superseded: answer.superseded,
    replaysQueued: deps.continuations ? replays.length : 0,
    inDoubt: answer.in_doubt,
    inDoubtBecause,
  };
}
