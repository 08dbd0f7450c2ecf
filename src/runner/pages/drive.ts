import type { SpendSoFar } from '../../curator/decide.js';
import { pipelineOf, type JobType } from '../../pipelines/index.js';
import type { LeaseRef } from '../../store/curator-store.js';
import type { CuratorDeps } from '../deps.js';
import { WalkGate } from '../effects/request-gate.js';
import { addTally, emptyTally, runCounts, type Tally } from '../tally.js';
import { actOnPage, type ActedPage, type PageSink } from './act-on-page.js';
import { decidePage } from './decide-page.js';
import type { PageOptions, PagePlan } from './page-plan.js';
import { readRules, type PageRules } from './rules.js';

/** One page, loaded, to decide (in order, from the spend of the pages before) and then act on. */
export interface PageWork {
  /** The walk's cursor once this page and every page before it are done; null leaves it where it was. */
  readonly cursor: string | null;
  decide(spend: SpendSoFar): Promise<{ readonly spend: SpendSoFar; act(sink: PageSink): Promise<ActedPage> }>;
}

/** Pages in order: `next` loads one (null at the end); `exhausted` says there is none left without asking. */
export interface PageSource {
  next(): Promise<PageWork | null>;
  readonly exhausted: boolean;
}

/** How pages are driven: the lease their progress is saved under, whether the deadline may stop them, the spend. */
export interface DriveOptions {
  readonly jobType: JobType;
  /** The lease pages save their progress under and fence their requests with; null for a dry run or a signal. */
  readonly lease: LeaseRef | null;
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
 * Drives pages from a source: load a page, decide it (in order, so each page sees the spend of the ones before),
 * then record and act on it while the next page loads, with at most `pagesInFlight` pages acting at once. Every
 * page's progress (its counts, the lease renewed, the cursor past the pages finished so far) is saved with its
 * outcomes, or on its own when it claimed nothing; a walk resumed after a crash redoes at most the pages in flight,
 * whose succeeded actions are skipped. Every provider request passes the walk's gate (request-gate.ts). Stops at
 * the end, on the first failure (after the pages in flight settle), when the lease is lost, or near the deadline
 * at a page that moved the cursor (after its first page, so every invocation makes progress).
 */
export async function drive(deps: CuratorDeps, source: PageSource, options: DriveOptions): Promise<WalkResult> {
  const tally = emptyTally();
  const limit = Math.max(1, options.pagesInFlight ?? deps.config.pagesInFlight ?? 1);
  const gate = new WalkGate(deps, options.jobType, pipelineOf(options.jobType).critical, options.lease);
  const inFlight = new Set<Promise<void>>();
  const finished = new Set<number>();
  const cursors = new Map<number, string | null>();
  let front = 0;
  let cursor = options.cursor;
  let leaseLost = false;
  let failure: unknown = null;
  let spend = options.spend;
  let continued = false;

  const sink: PageSink = { gate, lease: options.lease, cursor: () => cursor };
  const finish = async (index: number, acted: ActedPage) => {
    addTally(tally, acted.tally);
    if (!acted.held) leaseLost = true;
    if (!acted.saved && options.lease !== null && !leaseLost) {
      const progress = { lease: options.lease, cursor, counts: runCounts(acted.tally) };
      if (!(await deps.store.recordOutcomes(deps.clock.now(), [], progress))) leaseLost = true;
    }
    finished.add(index);
    while (finished.has(front)) {
      cursor = cursors.get(front) ?? cursor;
      finished.delete(front);
      front += 1;
    }
  };

  // A walk only stops between pages that move its cursor: a part of a larger page would be walked again.
  let atBoundary = true;
  for (let index = 0; failure === null && !leaseLost && gate.closedBy !== 'lease_lost' && !source.exhausted; index += 1) {
    if (index > 0 && atBoundary && options.canContinue && nearDeadline(deps)) {
      continued = true;
      break;
    }
    const page = await source.next();
    if (page === null) break;
    atBoundary = page.cursor !== null;
    cursors.set(index, page.cursor);
    const decided = await page.decide(spend);
    spend = decided.spend;
    const acting: Promise<void> = decided
      .act(sink)
      .then((acted) => finish(index, acted))
      .catch((error: unknown) => {
        failure ??= error;
      });
    const tracked = acting.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    while (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== null) throw failure;
  if (gate.closedBy === 'lease_lost') leaseLost = true;
  if (leaseLost) deps.logger.warn('lease lost; stopping this walk', { pipeline_type: options.jobType, run_id: options.lease?.runId ?? null });
  return { tally, leaseLost, continued: continued && !leaseLost, cursor, spend };
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
      return { spend: decided.spend, act: (sink) => actOnPage(deps, plan, decided, pageOptions, sink) };
    },
  };
}

/** Where a keyset walk starts and what it covers. */
export interface KeysetOptions extends PageOptions {
  readonly after: string | null;
  /** A shard's last subject (inclusive); null to walk to the end. */
  readonly through: string | null;
  readonly subjects: readonly string[] | null;
}

/** A plan's candidates a page at a time after the keyset cursor (up to `through`, or among `subjects`). */
export function keysetPages<Row>(deps: CuratorDeps, plan: PagePlan<Row>, options: KeysetOptions): PageSource {
  const pageOptions: PageOptions = { runId: options.runId, dryRun: options.dryRun, retakeVetoReason: options.retakeVetoReason };
  if (options.through !== null && plan.shardBounds === undefined) throw new Error(`${plan.jobType} cannot be walked in shards`);
  let after = options.after;
  let exhausted = false;
  return {
    get exhausted() {
      return exhausted;
    },
    async next() {
      const rules = await readRules(deps, plan.jobType);
      const rows = await plan.load({ after, limit: deps.config.pageSize, subjects: options.subjects, through: options.through }, rules.policy);
      if (rows.length < deps.config.pageSize) exhausted = true;
      if (rows.length === 0) return null;
      after = plan.subjectOf(rows[rows.length - 1]!);
      return pageWork(deps, plan, rows, rules, after, pageOptions);
    },
  };
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
