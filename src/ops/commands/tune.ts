import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { clinicalPipelines, parameterRoot, pipelineOf, splitParameterKey } from '../../pipelines/index.js';
import { clinicalEvidence, weighClinicalChange } from '../../what-if/clinical-evidence.js';
import type { Proposal } from '../../what-if/proposal.js';
import { defineCommand, json, reasonOf, recorded, yes } from '../command.js';
import type { Attribution } from '../context.js';
import { ExitCode, explain, OpsError } from '../errors.js';
import { readTunables } from '../parameters.js';
import type { ThresholdChangeDetails } from '../thresholds.js';
import { askWhatIf, parseDays, printWhatIf, proposalOf } from '../what-if.js';
import { daysOption } from './what-if.js';

/** What `tune` is asked to do: the proposal (or the parameters to reset), who and why, and how to confirm. */
interface TuneRequest {
  readonly scope: string | undefined;
  readonly assignments: readonly string[];
  readonly reset: boolean;
  readonly approvedBy: string | null;
  readonly days: number;
}

/** The clinical pipelines a proposal reaches (its own thresholds, or the caps under `all` they apply). */
const clinicalOf = (proposal: Proposal) => proposal.affected.filter((jobType) => clinicalPipelines.includes(jobType));

const nameKey = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * The approver as cdk.json names them (`clinicalApprovers` of the environment), or exit 2: an attestation that a
 * named clinician approved, not authentication; the caller's own AWS identity is recorded beside it.
 */
function namedApprover(approvedBy: string, approvers: readonly string[], env: string): string {
  const found = approvers.find((approver) => nameKey(approver) === nameKey(approvedBy));
  if (found === undefined) {
    throw new OpsError(ExitCode.usage, `--approved-by "${approvedBy.trim()}" is not one of the clinical approvers of ${env} (clinicalApprovers in cdk.json): ${approvers.join(', ')}; nothing was changed`);
  }
  return found;
}

/** Checks everything `tune` can check without a call: the values, the clinical approval. Exit 2 on any. */
function tuneProposal(request: TuneRequest, who: Attribution): Proposal {
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
export const tune = defineCommand({
  name: 'tune',
  group: 'act',
  words: '<slug|all> name=value[,name=value]  |  <slug|all> name[,name] --reset',
  help:
    'validate (each value within its range: ops thresholds shows them), show the what-if, confirm (or --yes), then ' +
    'write the SSM parameters and a threshold_change override with before and after. crisis-alert and ' +
    'early-intervention need --approved-by naming a clinicalApprovers entry of cdk.json, and are refused when the ' +
    'what-if shows more than 20 % of at least 5 alerts that went out held back. --reset removes the overrides ' +
    '(back to the catalog default), recorded the same way',
  options: {
    reset: { type: 'boolean', help: 'remove the named overrides (back to the catalog default)' },
    'approved-by': { type: 'string', value: 'NAME', help: 'the clinician who approved a crisis-alert or early-intervention change' },
    ...daysOption,
    ...recorded,
    ...yes,
    ...json,
  },
  async run({ context, args, options, who: by, shown, confirm }) {
    const [scope, ...assignments] = args;
    const who = reasonOf(by, options);
    const request: TuneRequest = {
      scope,
      assignments,
      reset: options.reset,
      approvedBy: options['approved-by'] ?? null,
      days: parseDays(options.days),
    };
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
    await confirm([], `${request.reset ? 'Reset' : 'Apply'} in ${context.env}? [y/N] `);

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
      const { slug } = splitParameterKey(key);
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
        throw new OpsError(ExitCode.failed, `not changed: ${explain(error, 'recording the threshold change').message}`, { cause: error });
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
  },
});
