import type { PipelinePolicy } from '../curator/policy.js';
import { jobTypes, pipelineOf, type JobType } from '../pipelines/index.js';
import type { CuratorStore } from '../store/curator-store.js';
import { storeFunctions, type AnswerOf } from '../store/functions.js';
import type { WhatIfRow } from '../store/rows.js';
import { overridesObject, proposedPolicy, type Proposal } from './proposal.js';
import { redecideFamily, type RecordedDecision, type Redecided } from './redecide.js';
import { WhatIfTally, type WhatIfReport } from './report.js';

/** Families per page: a week of digests at 1,000 families is 7,000 decisions, about 1 MB of JSON. */
export const whatIfFamiliesPerPage = 1_000;

const yieldEveryFamilies = 250;
/**
 * Pages read at once: the database builds some while others travel and one is decided here. Measured on the bench's
 * week at 100,000 families: 13.7 s one at a time, 9 s two, 6.6 s four.
 */
const pagesInFlight = 4;

export interface WhatIfRequest {
  readonly proposal: Proposal;
  readonly days: number;
  /** The window ends here (the curator's clock) and starts `days` before. */
  readonly now: Date;
}

export interface WhatIfOptions {
  readonly familiesPerPage?: number;
  /** Every decision made again, in order (tests compare them with real runs). */
  readonly onDecision?: (result: Redecided) => void;
}

/**
 * The pipelines a proposal re-decides: those it changes, and, when one of them sends email, every email pipeline,
 * since what one sends moves the caps another reads.
 */
export function walkedPipelines(proposal: Proposal): JobType[] {
  const sendsEmail = proposal.affected.some((jobType) => pipelineOf(jobType).channel === 'email');
  return jobTypes.filter((jobType) => proposal.affected.includes(jobType) || (sendsEmail && pipelineOf(jobType).channel === 'email'));
}

const recordedOf = (row: WhatIfRow): RecordedDecision => ({
  id: row[0],
  jobType: row[1] as JobType,
  subjectKey: row[2],
  periodKey: row[3],
  userId: row[4],
  startedAt: new Date(row[5]),
  status: row[6],
  vetoReason: row[7],
  confidence: row[8],
  signalCount: row[9],
  policyHash: row[10],
  facts: row[11],
  childId: row[12],
});

/**
 * What the proposal would have done over the last `days`: every recorded decision of the walked pipelines made
 * again, family by family in the order they were made ({@link redecideFamily}), read where the data is in pages
 * of families (curator_what_if_page), never row by row. Answers the report; the caller keeps it.
 *
 * @example
 * const report = await whatIf(store, { proposal: parseProposal('daily-digest', 'min-confidence=0.6'), days: 7, now });
 */
export async function whatIf(store: CuratorStore, request: WhatIfRequest, options: WhatIfOptions = {}): Promise<WhatIfReport> {
  const startedMs = Date.now();
  const to = request.now;
  const from = new Date(to.getTime() - request.days * 86_400_000);
  const pipelines = walkedPipelines(request.proposal);
  const tally = new WhatIfTally();
  const policies = new Map<string, PipelinePolicy>();
  // Keyed by the recorded policy object: one per hash, so each is resolved once however many decisions point at it.
  const proposed = new Map<PipelinePolicy, PipelinePolicy>();
  const propose = (policy: PipelinePolicy) => {
    let found = proposed.get(policy);
    if (found === undefined) proposed.set(policy, (found = proposedPolicy(request.proposal, policy)));
    return found;
  };
  const record = (result: Redecided) => {
    tally.add(result);
    options.onDecision?.(result);
  };

  const limit = options.familiesPerPage ?? whatIfFamiliesPerPage;
  const { bounds, without_family: withoutFamily } = await store.call(storeFunctions.whatIfBounds, { from, to, jobTypes: pipelines, limit });
  if (withoutFamily > 0) tally.notRedecided['no family: the account was deleted'] = withoutFamily;
  const decidePage = async (page: AnswerOf<typeof storeFunctions.whatIfPage>) => {
    for (const [hash, policy] of Object.entries(page.policies)) if (!policies.has(hash)) policies.set(hash, policy as PipelinePolicy);
    let family: RecordedDecision[] = [];
    let families = 0;
    for (const row of page.rows) {
      const decision = recordedOf(row);
      if (family.length > 0 && family[0]!.userId !== decision.userId) {
        for (const result of redecideFamily(family, policies, propose)) record(result);
        family = [];
        // Let the other pages' requests go out and their answers come in between families.
        if (++families % yieldEveryFamilies === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      family.push(decision);
    }
    for (const result of redecideFamily(family, policies, propose)) record(result);
  };
  // Families are independent of each other, so pages are read and decided in any order, a few at once.
  let nextPage = 0;
  const worker = async () => {
    while (nextPage < bounds.length) {
      const index = nextPage++;
      await decidePage(await store.call(storeFunctions.whatIfPage, { from, to, jobTypes: pipelines, after: index === 0 ? null : bounds[index - 1]!, through: bounds[index]! }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(pagesInFlight, bounds.length) }, worker));

  return {
    scope: request.proposal.scope,
    overrides: overridesObject(request.proposal),
    from: from.toISOString(),
    to: to.toISOString(),
    days: request.days,
    redecided: tally.redecided,
    changed: tally.changed,
    pipelines: tally.pipelines(),
    notRedecided: tally.notRedecided,
    seconds: (Date.now() - startedMs) / 1000,
  };
}
