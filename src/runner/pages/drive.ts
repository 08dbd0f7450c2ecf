import type { SpendSoFar } from '../../curator/decide.js';
import { pipelineOf, type JobType } from '../../pipelines/index.js';
import type { CuratorDeps } from '../deps.js';
import { WalkGate } from '../effects/request-gate.js';
import { addTally, emptyTally, runCounts, type Tally } from '../tally.js';
import { actOnPage, decidePage, loadPage, recordPageOutcomes, type DecidedPage, type LoadedPage } from './page.js';
import type { PageOptions, PagePlan } from './page-plan.js';

/** How pages are walked: whether the deadline may stop them, and the spend. */
export interface WalkOptions extends PageOptions {
  readonly jobType: JobType;
  /** Where a resumed walk starts (its saved cursor). */
  readonly cursor: string | null;
  /** The pages may stop near the deadline and continue in another invocation. */
  readonly canContinue: boolean;
  readonly spend: SpendSoFar;
  /** Pages acting at once; the runner's setting when absent. */
  readonly pagesInFlight?: number;
}

/** What a walk came to. */
export interface WalkResult {
  readonly tally: Tally;
  /** Another invocation took the lease over: this one stopped acting. */
  readonly leaseLost: boolean;
  /** Stopped near the deadline: the caller hands the work on from `cursor`. */
  readonly continued: boolean;
  /** The cursor past every finished page. */
  readonly cursor: string | null;
  /** What was spent by the end, the walk's start included. */
  readonly spend: SpendSoFar;
}

/**
 * A walk over pages that its job loads in order and hands to {@link Walk.take}: each page is decided at once (in
 * order, so it sees the spend of the ones before), then recorded and acted on while the next page loads, with at
 * most `pagesInFlight` pages acting at once. Every page's progress (its counts, the lease renewed, the cursor past
 * the pages finished so far) is saved with its outcomes, or on its own when it claimed nothing; a walk resumed after
 * a crash redoes at most the pages in flight, whose succeeded actions are skipped. Every provider request passes the
 * walk's gate (request-gate.ts). The job stops taking pages at the end, or when {@link Walk.wantsMore} says no: on
 * the first failure, when the lease is lost, or near the deadline at a page that moved the cursor (after its first
 * page, so every invocation makes progress). {@link Walk.end} waits for the pages in flight and answers the walk.
 */
export class Walk {
  private readonly tally = emptyTally();
  private readonly gate: WalkGate;
  private readonly limit: number;
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly finished = new Set<number>();
  private readonly cursors = new Map<number, string | null>();
  private taken = 0;
  private front = 0;
  private cursor: string | null;
  private spend: SpendSoFar;
  private leaseLost = false;
  private failure: unknown = null;
  private continued = false;
  // A walk only stops between pages that move its cursor: a part of a larger page would be walked again.
  private atBoundary = true;

  constructor(
    private readonly deps: CuratorDeps,
    private readonly options: WalkOptions,
  ) {
    this.limit = Math.max(1, options.pagesInFlight ?? deps.config.pagesInFlight ?? 1);
    this.gate = new WalkGate(deps, options.jobType, pipelineOf(options.jobType).critical);
    this.cursor = options.cursor;
    this.spend = options.spend;
  }

  /** Whether another page may be taken; near the deadline, no, and the walk ends continued. */
  wantsMore(): boolean {
    if (this.failure !== null || this.leaseLost) return false;
    if (this.taken > 0 && this.atBoundary && this.options.canContinue && nearDeadline(this.deps)) {
      this.continued = true;
      return false;
    }
    return true;
  }

  /**
   * Decides a loaded page from the spend so far and starts recording and acting on it; waits while `pagesInFlight`
   * pages act. `cursor` is the walk's cursor once this page and every page before it are done (null: unmoved).
   */
  async take<Row>(plan: PagePlan<Row>, page: LoadedPage<Row>, cursor: string | null): Promise<void> {
    const index = this.taken;
    this.taken += 1;
    this.atBoundary = cursor !== null;
    this.cursors.set(index, cursor);
    const decided = await decidePage(this.deps, plan, page, this.spend, this.options);
    this.spend = decided.spend;
    this.inFlight.set(index, this.actOn(index, plan, decided));
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight.values());
  }

  /** Records and acts on a decided page, then saves its outcomes with the walk's progress. */
  private async actOn<Row>(index: number, plan: PagePlan<Row>, decided: DecidedPage<Row>): Promise<void> {
    try {
      const acted = await actOnPage(this.deps, plan, decided, this.options, this.gate.forPage());
      addTally(this.tally, acted.tally);
      if (!acted.held) this.leaseLost = true;
      const { lease } = this.options;
      // Progress is saved only by the walk that holds the lease, and only once the outcomes are in.
      const progress = lease === null || this.leaseLost ? null : { lease, cursor: this.cursor, counts: runCounts(acted.tally) };
      if (acted.recorded || progress !== null) {
        if (!(await recordPageOutcomes(this.deps, plan, acted, progress))) this.leaseLost = true;
      }
      this.finish(index);
    } catch (error) {
      this.failure ??= error;
    } finally {
      this.inFlight.delete(index);
    }
  }

  /** Moves the cursor past every page finished in order. */
  private finish(index: number): void {
    this.finished.add(index);
    while (this.finished.has(this.front)) {
      this.cursor = this.cursors.get(this.front) ?? this.cursor;
      this.finished.delete(this.front);
      this.front += 1;
    }
  }

  /** Waits for the pages in flight; throws the first failure; answers what the walk came to. */
  async end(): Promise<WalkResult> {
    await Promise.all(this.inFlight.values());
    if (this.failure !== null) throw this.failure;
    const { deps, options, leaseLost } = this;
    if (leaseLost) deps.logger.warn('lease lost; stopping this walk', { pipeline_type: options.jobType, run_id: options.lease?.runId ?? null });
    return { tally: this.tally, leaseLost, continued: this.continued && !leaseLost, cursor: this.cursor, spend: this.spend };
  }
}

/** Where a keyset walk starts and what it covers. */
export interface Keyset {
  /** A shard's last subject (inclusive); null to walk to the end. */
  readonly through: string | null;
  /** Only these subjects (a replay of given users); null for the whole population. */
  readonly subjects: readonly string[] | null;
}

/**
 * Walks a plan's candidates a page at a time after the walk's cursor (up to `through`, or among `subjects`): the
 * walk of a scheduled run, a shard and their dry runs.
 */
export async function drive<Row>(deps: CuratorDeps, plan: PagePlan<Row>, keyset: Keyset, options: WalkOptions): Promise<WalkResult> {
  if (keyset.through !== null && plan.shardBounds === undefined) throw new Error(`${plan.jobType} cannot be walked in shards`);
  const walk = new Walk(deps, options);
  let after = options.cursor;
  while (walk.wantsMore()) {
    const page = await loadPage(deps, plan, { after, limit: deps.config.pageSize, subjects: keyset.subjects, through: keyset.through });
    if (page.rows.length === 0) break;
    after = plan.subjectOf(page.rows[page.rows.length - 1]!);
    await walk.take(plan, page, after);
    if (page.rows.length < deps.config.pageSize) break;
  }
  return walk.end();
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
export async function startingSpend(deps: CuratorDeps, jobType: JobType, emailsBefore: number, emailCeilingShare?: number): Promise<SpendSoFar> {
  return {
    emailsThisRun: emailsBefore,
    creditsTodayCents: pipelineOf(jobType).channel === 'credit' ? await deps.store.creditsIssuedOn(deps.clock.now()) : 0,
    ...(emailCeilingShare === undefined ? {} : { emailCeilingShare }),
  };
}
