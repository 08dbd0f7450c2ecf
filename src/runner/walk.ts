import type { SpendSoFar } from '../curator/decide.js';
import type { VetoReason } from '../curator/verdict.js';
import { pipelineOf, type JobType } from '../pipelines/index.js';
import type { CuratorDeps } from './deps.js';
import { actOnPage, decidePage, readRules, type PagePlan } from './page.js';
import { addTally, emptyTally, type Tally } from './tally.js';

/** Where a walk starts and stops, what it may spend, and where it saves its progress. */
export interface WalkOptions {
  /** The run its decisions belong to; null for a dry run. */
  readonly runId: string | null;
  /** Saves a finished page's cursor and counts; false when the lease was lost. Null: nothing is saved. */
  readonly save: ((after: string, page: Tally) => Promise<boolean>) | null;
  /** The walk may stop near the deadline and continue in another invocation. */
  readonly canContinue?: boolean;
  readonly after: string | null;
  /** A shard's last subject (inclusive); null to walk to the end. */
  readonly through?: string | null;
  readonly subjects: readonly string[] | null;
  readonly dryRun: boolean;
  readonly retakeVetoReason: VetoReason | null;
  readonly spend: SpendSoFar;
}

export interface WalkResult {
  readonly tally: Tally;
  readonly leaseLost: boolean;
  /** Stopped near the deadline with its progress saved: the caller hands it on. */
  readonly continued: boolean;
  /** What was spent by the end, the walk's start included: where a next walk of the same run starts. */
  readonly spend: SpendSoFar;
}

/**
 * Walks candidates a page at a time from the cursor: read the switches, load a page, decide it (in order, so each
 * page sees the spend of the ones before), then record and act on it while the next page loads, with at most
 * `pagesInFlight` pages acting at once. The cursor saved only passes pages whose every page before has finished,
 * so a walk resumed after a crash redoes at most the pages in flight, whose succeeded actions are skipped. Stops
 * at the end, on the first failure (after the pages in flight settle), when the lease is lost, or near the
 * deadline (after its first page, so every invocation makes progress).
 */
export async function walk<Row>(deps: CuratorDeps, plan: PagePlan<Row>, options: WalkOptions): Promise<WalkResult> {
  const tally = emptyTally();
  const limit = Math.max(1, deps.config.pagesInFlight ?? 1);
  const pageOptions = { runId: options.runId, dryRun: options.dryRun, retakeVetoReason: options.retakeVetoReason };
  const through = options.through ?? null;
  if (through !== null && plan.shardBounds === undefined) throw new Error(`${plan.jobType} cannot be walked in shards`);
  const inFlight = new Set<Promise<void>>();
  const finished = new Map<number, { tally: Tally; after: string }>();
  let saved = 0;
  let leaseLost = false;
  let failure: unknown = null;
  let after = options.after;
  let spend = options.spend;
  let continued = false;

  // Saves progress over the finished pages at the front, in page order.
  let saving: Promise<void> = Promise.resolve();
  const saveFront = () => {
    saving = saving.then(async () => {
      while (finished.has(saved)) {
        const page = finished.get(saved)!;
        finished.delete(saved);
        saved += 1;
        addTally(tally, page.tally);
        if (options.save !== null && !leaseLost && !(await options.save(page.after, page.tally))) leaseLost = true;
      }
    });
    return saving;
  };

  for (let index = 0; failure === null && !leaseLost; index += 1) {
    if (index > 0 && options.canContinue === true && nearDeadline(deps)) {
      continued = true;
      break;
    }
    const rules = await readRules(deps, plan.jobType);
    const rows = await plan.load({ after, limit: deps.config.pageSize, subjects: options.subjects, through }, rules.policy);
    if (rows.length === 0) break;
    after = plan.subjectOf(rows[rows.length - 1]!);
    const decided = await decidePage(deps, plan, rows, rules, spend, pageOptions);
    spend = decided.spend;
    const pageAfter = after;
    const acting: Promise<void> = actOnPage(deps, plan, decided, pageOptions).then(
      async (pageTally) => {
        finished.set(index, { tally: pageTally, after: pageAfter });
        await saveFront();
      },
      (error: unknown) => {
        failure ??= error;
      },
    );
    const tracked = acting.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (rows.length < deps.config.pageSize) break;
    while (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await saving;
  if (failure !== null) throw failure;
  return { tally, leaseLost, continued, spend };
}

/** This invocation has less than the continuation margin left, and a work queue to continue through. */
export function nearDeadline(deps: CuratorDeps): boolean {
  return (
    deps.continuations !== undefined &&
    deps.config.remainingMs !== undefined &&
    deps.config.remainingMs() < (deps.config.continuationMarginMs ?? 60_000)
  );
}

/**
 * What a walk has spent before its first page: the emails its run (or shard) already claimed and, for credit
 * pipelines, today's credits across every run.
 */
export async function startingSpend(
  deps: CuratorDeps,
  jobType: JobType,
  emailsBefore: number,
  emailCeilingShare?: number,
): Promise<SpendSoFar> {
  return {
    emailsThisRun: emailsBefore,
    creditsTodayCents: pipelineOf(jobType).channel === 'credit' ? await deps.store.creditsIssuedOn(deps.clock.now()) : 0,
    ...(emailCeilingShare === undefined ? {} : { emailCeilingShare }),
  };
}
