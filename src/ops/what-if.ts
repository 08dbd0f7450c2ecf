import { whatIfEvent } from '../events/curator-events.js';
import { readWholeNumber, refusalText, whatIfDays } from '../requests/request-contract.js';
import type { CuratorResult } from '../runner/job-result.js';
import { pipelineOf, splitParameterKey } from '../pipelines/index.js';
import { parseProposal, ProposalError, type Proposal } from '../what-if/proposal.js';
import type { WhatIfFigures, WhatIfReport } from '../what-if/report.js';
import type { OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { formatTable } from '../format/table.js';

/** Reads a proposal as ops typed it; a bad one is exit 2 before anything is read or written. */
export function proposalOf(scope: string | undefined, assignments: readonly string[]): Proposal {
  if (scope === undefined) throw new OpsError(ExitCode.usage, 'the pipeline (a slug, a jobType or all) is required');
  try {
    return parseProposal(scope, assignments);
  } catch (error) {
    if (error instanceof ProposalError) throw new OpsError(ExitCode.usage, error.message, { cause: error });
    throw error;
  }
}

/** `--days`: whole days from 1 to 31 (the window what-if re-decides, ending now). */
export function parseDays(value: string | undefined): number {
  const days = readWholeNumber('--days', value ?? String(whatIfDays.default), whatIfDays);
  if (!days.ok) throw new OpsError(ExitCode.usage, refusalText(days.refusal));
  return days.value;
}

/** The changes as the what-if job takes them: name to value, for the scope ops named. */
function changesOf(proposal: Proposal): Record<string, string> {
  return Object.fromEntries([...proposal.overrides].map(([key, value]) => [splitParameterKey(key).name, value]));
}

/** Runs the what-if job where the data is (context.curator) and answers its report and id. */
export async function askWhatIf(context: OpsContext, scopeName: string, proposal: Proposal, days: number): Promise<{ report: WhatIfReport; reportId: string }> {
  let result: CuratorResult;
  try {
    result = await context.curator(whatIfEvent({ scope: scopeName, changes: changesOf(proposal), days }));
  } catch (error) {
    throw explain(error, 'running the what-if');
  }
  if (!result.ok) throw new OpsError(ExitCode.failed, `the curator refused the what-if: ${result.error}`);
  if (result.kind !== 'what_if') throw new OpsError(ExitCode.failed, `the curator answered a ${result.kind}, not a what-if`);
  return { report: result.report, reportId: result.reportId };
}

const reasons = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');

function figureRow(pipeline: string, figures: WhatIfFigures, credit: boolean): string[] {
  return [
    pipeline,
    figures.date ?? 'all days',
    String(figures.decisions),
    String(figures.changed),
    reasons(figures.executedToVetoed),
    reasons(figures.vetoedToExecuted),
    credit
      ? `${figures.creditsBefore} -> ${figures.creditsAfter} (${figures.creditCentsBefore} -> ${figures.creditCentsAfter} cents)`
      : `${figures.emailsBefore} -> ${figures.emailsAfter}`,
  ];
}

/** Prints a what-if report: per pipeline and day, then the families it reaches and what it could not re-decide. */
export function printWhatIf(context: OpsContext, report: WhatIfReport, reportId: string): void {
  const overrides = Object.entries(report.overrides).map(([key, value]) => `${key}=${value}`).join(', ');
  context.out(`what-if ${overrides}: ${report.redecided} decisions from ${report.from.slice(0, 16)} to ${report.to.slice(0, 16)} UTC made again, ${report.changed} would change`);
  context.out('');
  const rows = report.pipelines.flatMap((pipeline) => {
    const credit = pipelineOf(pipeline.pipelineType).channel === 'credit';
    return [...pipeline.days.filter((day) => day.changed > 0).map((day) => figureRow(pipeline.pipelineType, day, credit)), figureRow(pipeline.pipelineType, pipeline.total, credit)];
  });
  for (const line of formatTable(['pipeline', 'day', 'decisions', 'changed', 'executed -> vetoed', 'vetoed -> executed', 'emails (credits) before -> after'], rows)) context.out(line);
  const held = report.pipelines.filter((pipeline) => Object.keys(pipeline.total.heldByLocalHour ?? {}).length > 0);
  if (held.length > 0) {
    context.out('');
    context.out("held for quiet hours as proposed, by the family's local hour at the decision:");
    for (const pipeline of held) {
      const hours = Object.entries(pipeline.total.heldByLocalHour).sort(([a], [b]) => a.localeCompare(b));
      context.out(`  ${pipeline.pipelineType}: ${hours.map(([hour, n]) => `${hour} ${n}`).join(', ')}`);
    }
  }
  const reached = report.pipelines.filter((pipeline) => pipeline.sampleFamilies.length > 0);
  if (reached.length > 0) {
    context.out('');
    context.out('families it would change (a sample; look one up with `npm run ops -- family <userId>`):');
    for (const pipeline of reached) context.out(`  ${pipeline.pipelineType}: ${pipeline.sampleFamilies.join(' ')}`);
  }
  const apart = Object.entries(report.notRedecided);
  if (apart.length > 0) {
    context.out('');
    context.out('not re-decided (counted apart):');
    for (const [why, n] of apart) context.out(`  ${n}  ${why}`);
  }
  context.out('');
  context.out(`report ${reportId} kept in what_if_reports; made in ${report.seconds.toFixed(1)} s`);
}

