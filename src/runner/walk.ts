import type { SpendSoFar } from '../curator/decide.js';
import type { VetoReason } from '../curator/verdict.js';
import { pipelineOf, type JobType } from '../pipelines/index.js';
import type { CuratorDeps } from './deps.js';
import { actOnPage, decidePage, readRules, type PageOptions, type PagePlan, type PageRules } from './page.js';
import { addTally, emptyTally, type Tally } from './tally.js';

/** Where a walk starts and stops, what it may spend, and where it saves its progress. */
export interface WalkOptions {
  /** The run its decisions belong to; null for a dry run. */
  readonly runId: string | null;
  /** Saves a finished page's cursor and counts; false when the lease was lost. Null: nothing is saved. */
  readonly save: ((after: string | null, page: Tally) => Promise<boolean>) | null;
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

/** One page, loaded, to decide (in order, from the spend of the pages before) and then act on. */
export interface PageWork {
  /** Saved with the run once this page and every page before it are done; null leaves the saved one. */
  readonly cursor: string | null;
  decide(spend: SpendSoFar): Promise<{ readonly spend: SpendSoFar; act(): Promise<Tally> }>;
}

/** Pages in order: `next` loads one (null at the end); `exhausted` says there is none left without asking. */
export interface PageSource {
  next(): Promise<PageWork | null>;
  readonly exhausted: boolean;
}

/** How pages are driven: where progress goes, whether the deadline may stop them, the spend they start from. */
export interface DriveOptions {
  /** Saves a finished page's cursor and counts; false when the lease was lost. Null: nothing is saved. */
  readonly save: ((cursor: string | null, page: Tally) => Promise<boolean>) | null;
  /** The pages may stop near the deadline and continue in another invocation. */
  readonly canContinue?: boolean;
  readonly spend: SpendSoFar;
}

/**
 * Drives pages from a source: load a page, decide it (in order, so each page sees the spend of the ones before),
 * then record and act on it while the next page loads, with at most `pagesInFlight` pages acting at once. The
 * cursor saved only passes pages whose every page before has finished, so work resumed after a crash redoes at
 * most the pages in flight, whose succeeded actions are skipped. Stops at the end, on the first failure (after the
 * pages in flight settle), when the lease is lost, or near the deadline (after its first page, so every
 * invocation makes progress).
 */
export async function drive(deps: CuratorDeps, source: PageSource, options: DriveOptions): Promise<WalkResult> {
  const tally = emptyTally();
  const limit = Math.max(1, deps.config.pagesInFlight ?? 1);
  const inFlight = new Set<Promise<void>>();
  const finished = new Map<number, { tally: Tally; cursor: string | null }>();
  let saved = 0;
  let leaseLost = false;
  let failure: unknown = null;
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
        if (options.save !== null && !leaseLost && !(await options.save(page.cursor, page.tally))) leaseLost = true;
      }
    });
    return saving;
  };

  for (let index = 0; failure === null && !leaseLost && !source.exhausted; index += 1) {
    if (index > 0 && options.canContinue === true && nearDeadline(deps)) {
      continued = true;
      break;
    }
    const page = await source.next();
    if (page === null) break;
    const decided = await page.decide(spend);
    spend = decided.spend;
    const acting: Promise<void> = decided.act().then(
      async (pageTally) => {
        finished.set(index, { tally: pageTally, cursor: page.cursor });
        await saveFront();
      },
      (error: unknown) => {
        failure ??= error;
      },
    );
    const tracked = acting.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    while (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await saving;
  if (failure !== null) throw failure;
  return { tally, leaseLost, continued, spend };
}

/** The work of one loaded page of `plan`: decide it with `rules`, then record and act on it. */
export function pageWork<Row>(
  deps: CuratorDeps,
  plan: PagePlan<Row>,
  rows: readonly Row[],
  rules: PageRules,
  cursor: string | null,
  pageOptions: PageOptions,
): PageWork {
  return {
    cursor,
    decide: async (spend) => {
      const decided = await decidePage(deps, plan, rows, rules, spend, pageOptions);
      return { spend: decided.spend, act: () => actOnPage(deps, plan, decided, pageOptions) };
    },
  };
}

/** A plan's candidates a page at a time after the keyset cursor (up to `through`, or among `subjects`). */
function keysetPages<Row>(deps: CuratorDeps, plan: PagePlan<Row>, options: WalkOptions): PageSource {
  const pageOptions = { runId: options.runId, dryRun: options.dryRun, retakeVetoReason: options.retakeVetoReason };
  const through = options.through ?? null;
  if (through !== null && plan.shardBounds === undefined) throw new Error(`${plan.jobType} cannot be walked in shards`);
  let after = options.after;
  let exhausted = false;
  return {
    get exhausted() {
      return exhausted;
    },
    async next() {
      const rules = await readRules(deps, plan.jobType);
      const rows = await plan.load({ after, limit: deps.config.pageSize, subjects: options.subjects, through }, rules.policy);
      if (rows.length < deps.config.pageSize) exhausted = true;
      if (rows.length === 0) return null;
      after = plan.subjectOf(rows[rows.length - 1]!);
      return pageWork(deps, plan, rows, rules, after, pageOptions);
    },
  };
}

/** Walks a plan's candidates from the cursor: {@link drive} over its keyset pages. */
export function walk<Row>(deps: CuratorDeps, plan: PagePlan<Row>, options: WalkOptions): Promise<WalkResult> {
  return drive(deps, keysetPages(deps, plan, options), {
    save: options.save,
    ...(options.canContinue === undefined ? {} : { canContinue: options.canContinue }),
    spend: options.spend,
  });
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
