import { MetricName } from '../../curator/ports.js';
import { storeFunctions } from '../../store/functions.js';
import type { CuratorDeps } from '../deps.js';
import type { CrisisCheckJob } from '../../requests/job-request.js';
import type { CrisisCheckResult } from '../job-result.js';
import { recordedSignal } from './held-signal-replay.js';
import { runSignal } from './signal.js';
import { emptyTally } from '../tally.js';
import { crisisCheckDelaySeconds } from '../effects/crisis-checks.js';

/**
 * The check of one crisis alert two minutes after its claim (curator_crisis_check decides under the row's lock):
 * confirmed or settled, nothing to do; checked too early (a later claim's check will judge), queued again for then;
 * no SendGrid event and a send still allowed, the signal is decided again as a redelivery would (its claim queues its
 * own check); no event after its one unconfirmed resend, escalated (CrisisEscalations pages).
 */
export async function runCrisisCheck(deps: CuratorDeps, request: CrisisCheckJob): Promise<CrisisCheckResult> {
  const startedMs = Date.now();
  const now = deps.clock.now();
  const checked = await deps.store.call(storeFunctions.crisisCheck, { execution: request.executionId, now, afterSeconds: crisisCheckDelaySeconds - 10 });
  const answer = (state: CrisisCheckResult['state'], extra: Partial<CrisisCheckResult> = {}): CrisisCheckResult => ({
    ok: true,
    kind: 'crisis_check',
    jobType: 'crisis_alert',
    status: 'succeeded',
    executionId: request.executionId,
    state,
    tally: emptyTally(),
    durationMs: Date.now() - startedMs,
    ...extra,
  });
  const fields = { pipeline_type: 'crisis_alert', execution_id: request.executionId, state: checked.state };
  switch (checked.state) {
    case 'not_found':
    case 'confirmed':
    case 'settled':
      deps.logger.info('crisis alert checked', fields);
      return answer(checked.state);
    case 'early': {
      const delaySeconds = Math.max(1, Math.ceil((new Date(checked.check_at).getTime() - now.getTime()) / 1_000));
      if (deps.continuations) await deps.continuations.continueWith([request], { delaySeconds });
      deps.logger.info('crisis alert claimed again since; checked later', { ...fields, delay_seconds: delaySeconds });
      return answer('early');
    }
    case 'escalate':
      deps.metrics.record({ name: MetricName.CrisisEscalations, value: 1, unit: 'Count', pipelineType: 'crisis_alert' });
      deps.logger.error('crisis alert unconfirmed after its one resend: escalated', { ...fields, user_id: checked.target.user_id });
      return answer('escalate');
    case 'resend': {
      deps.logger.error('crisis alert unconfirmed two minutes after its claim: sent once more', { ...fields, user_id: checked.target.user_id });
      const resent = await runSignal(deps, recordedSignal(checked.target, 'crisis_alert', false));
      return answer('resend', { tally: resent.tally });
    }
    default: {
      const unknown: never = checked;
      throw new Error(`unknown crisis check ${JSON.stringify(unknown)}`);
    }
  }
}
