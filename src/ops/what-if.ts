import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { whatIfEvent } from '../events/curator-events.js';
import { readWholeNumber, refusalText, whatIfDays } from '../events/request-contract.js';
import type { CuratorResult } from '../handlers/curator.js';
import { clinicalPipelines, parameterRoot, pipelineOf } from '../pipelines/index.js';
import { clinicalEvidence, weighClinicalChange } from '../what-if/clinical-evidence.js';
import { parseProposal, ProposalError, type Proposal } from '../what-if/proposal.js';
import type { WhatIfFigures, WhatIfReport } from '../what-if/report.js';
import type { Attribution, OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';
import type { Shown } from './look.js';
import { readTunables } from './parameters.js';
import { formatTable } from './table.js';
import type { ThresholdChangeDetails } from './thresholds.js';

/** Reads a proposal as ops typed it; a bad one is exit 2 before anything is read or written. */
export function proposalOf(scope: string | undefined, assignments: readonly string[]): Proposal {
  if (scope === undefined) throw new OpsError(ExitCode.usage, 'the pipeline (a slug, a jobType or all) is required');
  try {
    return parseProposal(scope, assignments);
  } catch (error) {
    if (error instanceof ProposalError) throw new OpsError(ExitCode.usage, error.message);
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
  return Object.fromEntries([...proposal.overrides].map(([key, value]) => [key.slice(key.indexOf('/') + 1), value]));
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

/** `what-if <slug|all> name=value[,…] [--days 7]`: what the change would have done; changes nothing. */
export async function showWhatIf(context: OpsContext, scope: string | undefined, assignments: readonly string[], days: number, shown: Shown): Promise<ExitCode> {
  const proposal = proposalOf(scope, assignments);
  const { report, reportId } = await askWhatIf(context, scope!, proposal, days);
  if (shown.json) context.out(JSON.stringify({ reportId, ...report }, null, 2));
  else printWhatIf(context, report, reportId);
  return ExitCode.ok;
}

/** What `tune` is asked to do: the proposal (or the parameters to reset), who and why, and how to confirm. */
export interface TuneRequest {
  readonly scope: string | undefined;
  readonly assignments: readonly string[];
  readonly reset: boolean;
  readonly approvedBy: string | null;
  readonly days: number;
  readonly yes: boolean;
  readonly confirm: ((question: string) => Promise<boolean>) | undefined;
}

/** The clinical pipelines a proposal reaches (its own thresholds, or the caps under `all` they apply). */
export const clinicalOf = (proposal: Proposal) => proposal.affected.filter((jobType) => clinicalPipelines.includes(jobType));

const nameKey = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * The approver as cdk.json names them (`clinicalApprovers` of the environment), or exit 2: an attestation that a
 * named clinician approved, not authentication; the caller's own AWS identity is recorded beside it.
 */
export function namedApprover(approvedBy: string, approvers: readonly string[], env: string): string {
  const found = approvers.find((approver) => nameKey(approver) === nameKey(approvedBy));
  if (found === undefined) {
    throw new OpsError(ExitCode.usage, `--approved-by "${approvedBy.trim()}" is not one of the clinical approvers of ${env} (clinicalApprovers in cdk.json): ${approvers.join(', ')}; nothing was changed`);
  }
  return found;
}

/** Checks everything `tune` can check without a call: the values, the clinical approval. Exit 2 on any. */
export function tuneProposal(request: TuneRequest, who: Attribution): Proposal {
  if (who.reason.trim() === '') throw new OpsError(ExitCode.usage, '--reason is required');
  // `--reset` names parameters without values; they are validated as names with a placeholder the schema takes.
  const assignments = request.reset ? request.assignments.flatMap((names) => names.split(',')).filter((name) => name.trim() !== '').map((name) => `${name.trim()}=1`) : request.assignments;
  if (request.reset && assignments.some((assignment) => assignment.slice(0, -2).includes('='))) {
    throw new OpsError(ExitCode.usage, '--reset takes parameter names only (ops tune daily-digest min-confidence --reset)');
  }
  const proposal = proposalOf(request.scope, assignments);
  const clinical = clinicalOf(proposal);
  if (clinical.length > 0 && (request.approvedBy === null || request.approvedBy.trim() === '')) {
    throw new OpsError(ExitCode.usage, `a change to ${clinical.map((jobType) => pipelineOf(jobType).slug).join(' and ')} needs clinical approval: add --approved-by "<name of the clinician>"`);
  }
  return proposal;
}

/**
 * `tune <slug|all> name=value[,…] --reason … [--approved-by …] [--yes]` and `tune <slug|all> name[,…] --reset`:
 * validates first (exit 2, nothing called), shows the what-if of the last days, asks, then writes each SSM
 * parameter (or deletes it) and records a `threshold_change` override per parameter with before and after. The
 * record is written first: no record, no change.
 */
export async function tune(context: OpsContext, request: TuneRequest, who: Attribution, shown: Shown): Promise<ExitCode> {
  const proposal = tuneProposal(request, who);
  const clinical = clinicalOf(proposal);
  const approvedBy = clinical.length > 0 ? namedApprover(request.approvedBy!, context.settings().clinicalApprovers, context.env) : null;
  const current = await readTunables(context);
  if (request.reset) {
    const kept = [...proposal.overrides.keys()].filter((key) => current.has(key));
    if (kept.length === 0) {
      context.out(`nothing to reset: no override of ${[...proposal.overrides.keys()].join(', ')} is set`);
      return ExitCode.ok;
    }
    context.out(`reset ${kept.join(', ')} to the catalog default`);
  } else {
    const { report, reportId } = await askWhatIf(context, request.scope!, proposal, request.days);
    if (shown.json) context.err(JSON.stringify({ reportId, ...report }));
    else printWhatIf(context, report, reportId);
    if (clinical.length > 0) {
      const findings = weighClinicalChange(report, clinical);
      const say = shown.json ? context.err : context.out;
      say('');
      say(`clinical evidence (approved by ${approvedBy}):`);
      for (const finding of findings) say(`  ${finding.says}`);
      const refused = findings.filter((finding) => finding.verdict === 'refused');
      if (refused.length > 0) {
        throw new OpsError(
          ExitCode.usage,
          `refused: the what-if shows ${refused.map((finding) => `${finding.lost} of ${finding.sent} ${finding.jobType} alerts`).join(' and ')} that went out held back, more than ${100 * clinicalEvidence.maximumLostShare} %; nothing was changed. Review it with the clinical team (runbooks/operations.md, "Tuning a threshold or cap with evidence")`,
        );
      }
    }
  }
  if (!request.yes) {
    if (request.confirm === undefined) throw new OpsError(ExitCode.usage, 'not confirmed: no terminal to ask on; add --yes to go ahead');
    if (!(await request.confirm(`${request.reset ? 'Reset' : 'Apply'} in ${context.env}? [y/N] `))) throw new OpsError(ExitCode.usage, 'not confirmed: nothing was changed');
  }

  const store = await context.store();
  const root = parameterRoot(context.env);
  // Who ran it, as AWS knows them: recorded beside the clinician's name, which is only what the caller typed.
  const callerArn = approvedBy === null ? null : await context.callerArn();
  const changed: ThresholdChangeDetails[] = [];
  for (const [key, proposed] of proposal.overrides) {
    const before = current.get(key) ?? null;
    const after = request.reset ? null : proposed;
    if (before === after) continue;
    const details: ThresholdChangeDetails = { parameter: key, before, after, ...(approvedBy ? { approved_by: approvedBy, caller_arn: callerArn! } : {}) };
    const slug = key.slice(0, key.indexOf('/'));
    try {
      await store.recordOverride({
        pipelineType: slug === 'all' ? 'all' : proposal.affected.find((jobType) => pipelineOf(jobType).slug === slug) ?? 'all',
        overrideType: 'threshold_change',
        actor: who.actor,
        reason: who.reason,
        ticket: who.ticket,
        details: { environment: context.env, ...details },
        now: context.clock.now(),
      });
    } catch (error) {
      throw new OpsError(ExitCode.failed, `not changed: ${explain(error, 'recording the threshold change').message}`);
    }
    try {
      if (after === null) await context.ssm.send(new DeleteParameterCommand({ Name: `${root}/${key}` }));
      else await context.ssm.send(new PutParameterCommand({ Name: `${root}/${key}`, Value: after, Type: 'String', Overwrite: true }));
    } catch (error) {
      throw explain(error, `${after === null ? 'deleting' : 'writing'} ${root}/${key} (its threshold_change record is written: run the same tune again)`);
    }
    changed.push(details);
  }
  if (shown.json) context.out(JSON.stringify({ environment: context.env, changed }, null, 2));
  else {
    if (changed.length === 0) context.out('nothing changed: every parameter already had that value');
    for (const change of changed) context.out(`${root}/${change.parameter}: ${change.before ?? '(default)'} -> ${change.after ?? '(default)'}  (the curator applies it within its 5-minute cache)`);
  }
  return ExitCode.ok;
}
