import type { JobType } from '../pipelines/index.js';
import { isKnownZone } from '../curator/quiet-hours.js';
import { VetoReason } from '../curator/verdict.js';
import type { Decided, RecordedDecision, Redecided } from './redecide.js';

/** What a proposal would have changed in one pipeline on one day (or over the window: `date` null). */
export interface WhatIfFigures {
  readonly date: string | null;
  decisions: number;
  changed: number;
  /** Executed as recorded, vetoed as proposed: by the proposed veto reason. */
  executedToVetoed: Record<string, number>;
  /** Vetoed as recorded, executed as proposed: by the recorded veto reason. */
  vetoedToExecuted: Record<string, number>;
  /** Vetoed both ways, for another reason (`LOW_CONFIDENCE -> FREQUENCY_CAP`), and other changes (`failed -> executed`). */
  otherChanges: Record<string, number>;
  emailsBefore: number;
  emailsAfter: number;
  creditsBefore: number;
  creditsAfter: number;
  creditCentsBefore: number;
  creditCentsAfter: number;
  /**
   * Held for quiet hours as proposed and not as recorded, by the family's local hour at the decision (`01:00`): what
   * a window would have held, on the families' own clocks.
   */
  heldByLocalHour: Record<string, number>;
}

/** One pipeline's figures per day and over the window, with a sample of the families a change reaches. */
export interface WhatIfPipeline {
  readonly pipelineType: JobType;
  readonly total: WhatIfFigures;
  readonly days: WhatIfFigures[];
  /** Up to {@link sampleSize} user ids (ids only) whose decisions would change. */
  readonly sampleFamilies: string[];
}

/** The report of one what-if: kept in what_if_reports and printed by ops. */
export interface WhatIfReport {
  readonly scope: string;
  readonly overrides: Readonly<Record<string, string>>;
  readonly from: string;
  readonly to: string;
  readonly days: number;
  readonly redecided: number;
  readonly changed: number;
  readonly pipelines: WhatIfPipeline[];
  /** Decisions that could not be made again, by why (counted apart, never guessed). */
  readonly notRedecided: Record<string, number>;
  readonly seconds: number;
}

export const sampleSize = 10;

const emptyFigures = (date: string | null): WhatIfFigures => ({
  date,
  decisions: 0,
  changed: 0,
  executedToVetoed: {},
  vetoedToExecuted: {},
  otherChanges: {},
  emailsBefore: 0,
  emailsAfter: 0,
  creditsBefore: 0,
  creditsAfter: 0,
  creditCentsBefore: 0,
  creditCentsAfter: 0,
  heldByLocalHour: {},
});

const label = (decided: Decided) => (decided.kind === 'vetoed' ? decided.reason : decided.kind);
const bump = (counts: Record<string, number>, key: string) => (counts[key] = (counts[key] ?? 0) + 1);

/** The family's local hour when the decision was made (`01:00`), from the zone its facts kept; null without one. */
function localHour(decision: RecordedDecision): string | null {
  const zone = (decision.facts as { timeZone?: unknown } | null)?.timeZone;
  if (typeof zone !== 'string' || !isKnownZone(zone)) return null;
  const hour = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(decision.startedAt);
  return `${hour}:00`;
}

/** Whether a decision would come out otherwise. */
export const changedDecision = (before: Decided, after: Decided) => label(before) !== label(after);

/** Collects re-made decisions into the report's figures, page after page. */
export class WhatIfTally {
  private readonly byPipeline = new Map<JobType, { total: WhatIfFigures; days: Map<number, WhatIfFigures>; sample: Set<string> }>();
  readonly notRedecided: Record<string, number> = {};
  redecided = 0;
  changed = 0;

  add(result: Redecided): void {
    if ('cannot' in result) {
      bump(this.notRedecided, result.cannot);
      return;
    }
    const { decision, before, after } = result;
    let pipeline = this.byPipeline.get(decision.jobType);
    if (pipeline === undefined) {
      pipeline = { total: emptyFigures(null), days: new Map(), sample: new Set() };
      this.byPipeline.set(decision.jobType, pipeline);
    }
    const dayNumber = Math.floor(decision.startedAt.getTime() / 86_400_000);
    let day = pipeline.days.get(dayNumber);
    if (day === undefined) pipeline.days.set(dayNumber, (day = emptyFigures(new Date(dayNumber * 86_400_000).toISOString().slice(0, 10))));
    const changed = changedDecision(before, after);
    this.redecided += 1;
    if (changed) {
      this.changed += 1;
      if (pipeline.sample.size < sampleSize) pipeline.sample.add(decision.userId);
    }
    for (const figures of [pipeline.total, day]) {
      figures.decisions += 1;
      figures.emailsBefore += result.emails.before;
      figures.emailsAfter += result.emails.after;
      figures.creditsBefore += result.creditCents.before > 0 ? 1 : 0;
      figures.creditsAfter += result.creditCents.after > 0 ? 1 : 0;
      figures.creditCentsBefore += result.creditCents.before;
      figures.creditCentsAfter += result.creditCents.after;
      if (!changed) continue;
      figures.changed += 1;
      if (after.kind === 'vetoed' && after.reason === VetoReason.QUIET_HOURS) {
        const hour = localHour(decision);
        if (hour !== null) bump(figures.heldByLocalHour, hour);
      }
      if (before.kind === 'executed' && after.kind === 'vetoed') bump(figures.executedToVetoed, after.reason);
      else if (before.kind === 'vetoed' && after.kind === 'executed') bump(figures.vetoedToExecuted, before.reason);
      else bump(figures.otherChanges, `${label(before)} -> ${label(after)}`);
    }
  }

  pipelines(): WhatIfPipeline[] {
    return [...this.byPipeline.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([pipelineType, { total, days, sample }]) => ({
        pipelineType,
        total,
        days: [...days.values()].sort((a, b) => (a.date ?? '').localeCompare(b.date ?? '')),
        sampleFamilies: [...sample],
      }));
  }
}
