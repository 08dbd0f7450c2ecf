import { randomUUID } from 'node:crypto';
import type { SwitchSnapshot } from '../../curator/ports.js';
import { parseSwitch, switchesAllow, type PipelineSwitches } from '../../curator/switches.js';
import { VetoReason } from '../../curator/verdict.js';
import { globalSwitchSlug, parameterKey, pipelineOf, tunableNames, type JobType } from '../../pipelines/index.js';
import type { LeaseRef, OutcomeRow } from '../../store/curator-store.js';
import type { CuratorDeps } from '../deps.js';
import type { ActResult, Claim } from './claim.js';

/** Why a walk's gate closed: the kill switch was seen off, or the lease is no longer this invocation's. */
export type GateClosed = 'kill_switch' | 'lease_lost';

/** Asked before every provider request of a page: true to send it, false when nothing more may go (and why). */
export interface RequestGate {
  open(): Promise<boolean>;
  readonly closedBy: GateClosed | null;
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
 * page asks (DESIGN.md section 3).
 */
export class WalkGate {
  private closed: GateClosed | null = null;

  constructor(
    private readonly deps: CuratorDeps,
    private readonly jobType: JobType,
    private readonly critical: boolean,
    readonly lease: LeaseRef | null,
  ) {}

  /** Why nothing more may be sent, or null while requests may go. */
  get closedBy(): GateClosed | null {
    return this.closed;
  }

  /** A page's gate, with the request batch its claims are stamped with. */
  forPage(): RequestGate {
    return new PageGate(this, randomUUID());
  }

  /** Whether the switches still allow a request; closes the walk's gate for good when they do not. */
  async allows(): Promise<boolean> {
    if (this.closed !== null) return false;
    if (!switchesAllow(await readSwitches(this.deps, this.jobType), this.critical)) this.closed ??= 'kill_switch';
    return this.closed === null;
  }

  /** Records a page's request batch, fenced by the lease; closes the gate when the lease is no longer held. */
  async mark(batch: string): Promise<boolean> {
    const held = await this.deps.store.markRequests({ batch, lease: this.lease, now: this.deps.clock.now() });
    if (!held) this.closed ??= 'lease_lost';
    return held;
  }
}

/**
 * One page's gate. Before the page's first request it records the page's request batch (curator_mark_requests),
 * so a crash from then on leaves its claims in doubt (unknown) and a crash before leaves them undone (redone).
 */
class PageGate implements RequestGate {
  private marked = false;

  constructor(
    private readonly walk: WalkGate,
    readonly batch: string,
  ) {}

  get closedBy(): GateClosed | null {
    return this.walk.closedBy;
  }

  async open(): Promise<boolean> {
    if (!(await this.walk.allows())) return false;
    if (!this.marked) this.marked = await this.walk.mark(this.batch);
    // Another page may have seen the switch off while this one waited: then this request does not go either.
    return this.walk.closedBy === null;
  }
}

/**
 * The outcome of a claimed action whose request never left because the gate closed: vetoed by the kill switch
 * (a replay of KILL_SWITCH_ACTIVE takes it up again), or failed when the lease was lost. No email exists, so its
 * queued row goes; an unpaid ledger row is failed, keeping its idempotency key for the retry.
 */
export function notSent(claim: Claim, closedBy: GateClosed, extra: Partial<OutcomeRow> = {}): ActResult {
  const held = closedBy === 'kill_switch';
  return {
    outcome: {
      execution_id: claim.executionId,
      status: held ? 'vetoed' : 'failed',
      veto_reason: held ? VetoReason.KILL_SWITCH_ACTIVE : null,
      error: held ? 'held: the kill switch went off before this was sent' : 'not sent: the run was taken over by another invocation',
      email_log_id: claim.emailLogId,
      email_status: claim.emailLogId === null ? null : 'unsent',
      ...(claim.ledger === null ? {} : { ledger_id: claim.ledger.id, ledger_status: 'failed' as const }),
      ...extra,
    },
  };
}
