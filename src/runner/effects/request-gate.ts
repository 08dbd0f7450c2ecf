import { randomUUID } from 'node:crypto';
import type { SwitchSnapshot } from '../../curator/ports.js';
import { parseSwitch, switchesAllow, type PipelineSwitches } from '../../curator/switches.js';
import { VetoReason } from '../../curator/verdict.js';
import { globalSwitchSlug, parameterKey, pipelineOf, tunableNames, type JobType } from '../../pipelines/index.js';
import type { OutcomeRow } from '../../store/curator-store.js';
import type { CuratorDeps } from '../deps.js';
import type { ActResult, Claim } from './claim.js';

/** Asked before every provider request of a page: true to send it, false when the kill switch is off. */
export interface RequestGate {
  open(): Promise<boolean>;
  /** The page's request batch: what its requests carry, so the provider's events name it. */
  readonly batch: string;
}

/** The pipeline's two switches in a snapshot of the parameters; unknown when they were never read. */
export function switchesOf(snapshot: SwitchSnapshot, jobType: JobType): PipelineSwitches {
  const state = (slug: string) =>
    snapshot.parameters === null ? 'unknown' : parseSwitch(snapshot.parameters.get(parameterKey(slug, tunableNames.enabled)));
  return { global: state(globalSwitchSlug), pipeline: state(pipelineOf(jobType).slug) };
}

/** The pipeline's two switches as the adapter's cache has them now (cheap: read before every provider request). */
export async function readSwitches(deps: CuratorDeps, jobType: JobType): Promise<PipelineSwitches> {
  return switchesOf(await deps.switches.read(), jobType);
}

/**
 * The gate of one walk, shared by its pages in flight. Before each provider request it re-reads the switches
 * (from the adapter's cache), and once any read sees them off, no request of the walk goes any more, whichever
 * page asks (DESIGN.md section 3). Each page's requests carry its own request batch (recorded with its claims by
 * curator_record_decisions), so the provider's events name the page.
 */
export class WalkGate {
  private off = false;

  constructor(
    private readonly deps: CuratorDeps,
    private readonly jobType: JobType,
    private readonly critical: boolean,
  ) {}

  /** A page's gate, with a new request batch for its claims. */
  forPage(): RequestGate {
    return { batch: randomUUID(), open: () => this.allows() };
  }

  /** Whether the switches still allow a request; closes the walk's gate for good when they do not. */
  async allows(): Promise<boolean> {
    if (this.off) return false;
    if (!switchesAllow(await readSwitches(this.deps, this.jobType), this.critical)) this.off = true;
    return !this.off;
  }
}

/**
 * The outcome of a claimed action whose request never left because the kill switch went off: vetoed (a replay of
 * KILL_SWITCH_ACTIVE takes it up again). No email exists, so its queued row goes; an unpaid ledger row is failed,
 * keeping its idempotency key for the retry.
 */
export function notSent(claim: Claim, extra: Partial<OutcomeRow> = {}): ActResult {
  return {
    outcome: {
      execution_id: claim.executionId,
      status: 'vetoed',
      veto_reason: VetoReason.KILL_SWITCH_ACTIVE,
      error: 'held: the kill switch went off before this was sent',
      email_log_id: claim.emailLogId,
      email_status: claim.emailLogId === null ? null : 'unsent',
      ...(claim.ledger === null ? {} : { ledger_id: claim.ledger.id, ledger_status: 'failed' as const }),
      ...extra,
    },
  };
}
