import { storeFunctions } from '../../store/functions.js';
import { proposalOf, ProposalError } from '../../what-if/proposal.js';
import { whatIf } from '../../what-if/what-if.js';
import type { CuratorDeps } from '../deps.js';
import { JobRequestError } from '../errors.js';
import type { WhatIfJob } from '../../requests/job-request.js';
import type { WhatIfResult } from '../job-result.js';

/**
 * Makes the recorded decisions of the last `days` again under a proposed policy and keeps the report (ops what-if,
 * ops tune): it reads, decides in memory and writes one report row; nothing is sent and no decision is changed.
 */
export async function runWhatIf(deps: CuratorDeps, request: WhatIfJob): Promise<WhatIfResult> {
  const startedMs = Date.now();
  let proposal;
  try {
    proposal = proposalOf(request.scope, Object.entries(request.changes));
  } catch (error) {
    if (error instanceof ProposalError) throw new JobRequestError('detail.changes', error.message, { cause: error });
    throw error;
  }
  const now = deps.clock.now();
  const report = await whatIf(deps.store, { proposal, days: request.days, now });
  const { id } = await deps.store.call(storeFunctions.recordWhatIf, { now, scope: request.scope, overrides: report.overrides, days: request.days, report });
  deps.logger.info('what-if', { report_id: id, scope: request.scope, overrides: report.overrides, redecided: report.redecided, changed: report.changed, seconds: report.seconds });
  return { ok: true, kind: 'what_if', jobType: 'what_if', status: 'succeeded', reportId: id, report, durationMs: Date.now() - startedMs };
}
