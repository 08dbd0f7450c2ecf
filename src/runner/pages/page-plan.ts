import type { Candidate } from '../../curator/decide.js';
import type { PipelinePolicy } from '../../curator/policy.js';
import type { Verdict, VetoReason } from '../../curator/verdict.js';
import type { JobType } from '../../pipelines/index.js';
import type { DecisionRow, LeaseRef } from '../../store/curator-store.js';
import type { ExistingExecution, ShardBounds } from '../../store/rows.js';
import type { ActResult, Claim } from '../effects/claim.js';
import type { RunDetails } from '../job-result.js';
import type { RequestGate } from '../effects/request-gate.js';

/** Where a page starts and what it covers. */
export interface PageRequest {
  readonly after: string | null;
  readonly limit: number;
  /** Only these subjects (a replay's users or held actions); null for the whole population. */
  readonly subjects: readonly string[] | null;
  /** A shard's last subject (inclusive); null for the whole population. Only plans with `shardBounds` take it. */
  readonly through: string | null;
}

/**
 * One kind of candidate row and what a pipeline does with it: how a page is loaded, what the decision reads, what
 * the record keeps, and the effect of a claimed action. Everything else (deciding, recording, gating, progress)
 * is the same for every pipeline and lives in the page functions.
 */
export interface PagePlan<Row> {
  readonly jobType: JobType;
  /** One page of candidates in one round trip, facts counted under `policy`. */
  load(page: PageRequest, policy: PipelinePolicy): Promise<Row[]>;
  subjectOf(row: Row): string;
  periodOf(row: Row): string;
  userOf(row: Row): string | null;
  existingOf(row: Row): ExistingExecution;
  /** Page-wide facts gathered before deciding (credit balances, ...). */
  prepare?(rows: readonly Row[]): Promise<void>;
  candidateOf(row: Row, policy: PipelinePolicy): Candidate;
  /** What the execution row records beside the verdict. */
  recordOf(row: Row, verdict: Verdict, policy: PipelinePolicy): Pick<DecisionRow, 'trigger_data' | 'template_id' | 'credit'>;
  /** Takes the claimed actions, asking `gate` before each provider request, and answers one result per claim. */
  act(claims: ReadonlyArray<{ row: Row; claim: Claim }>, policy: PipelinePolicy, gate: RequestGate): Promise<ActResult[]>;
  /** What the plan's actions did beside their outcomes, for the run's answer (maintenance jobs). */
  report?(): RunDetails;
  /** Plans whose population can outgrow one invocation: its size and the subjects that cut it into shards. */
  shardBounds?(shardSize: number): Promise<ShardBounds>;
}

/** How a walk treats an existing decision. */
export interface PageOptions {
  readonly runId: string | null;
  /** The lease a page's decisions are fenced by and its progress saved under; null for a dry run or a signal. */
  readonly lease: LeaseRef | null;
  readonly dryRun: boolean;
  /** Rows vetoed for this reason are decided again (a replay with vetoReason). */
  readonly retakeVetoReason: VetoReason | null;
}
