import { MetricName, type Logger, type Metrics, type SwitchSource, type SwitchWriter } from '../curator/ports.js';
import { parseSwitch } from '../curator/switches.js';
import { asIgnored, reportIgnored } from '../parameters/report-ignored.js';
import { jobTypes, killSwitchPath, parameterKey, pipelineOf, rangeOf, readTunable, shownValue, tunableNames, type Environment, type JobType } from '../pipelines/index.js';
import type { CuratorStore } from '../store/curator-store.js';
import { storeFunctions } from '../store/functions.js';
import { errorFields } from '../errors/error-fields.js';

/** The operations guide: "Immediate disable if: unsubscribe spike (> 0.5 % in 1 hour)". */
export const breakerDefaults = { ratePercent: 0.5, minEvents: 10 } as const;

/** The breaker of one pipeline after ops overrides. */
export interface BreakerPolicy {
  readonly enabled: boolean;
  readonly ratePercent: number;
  readonly minEvents: number;
}

/** One email type's complaints since the window opened, over its deliveries of the last 24 hours. */
export interface ComplaintFigures {
  readonly email_type: string;
  readonly pipeline_type: string;
  readonly since: string;
  readonly complaints: number;
  readonly deliveries: number;
}

/** What the breaker did for one pipeline. */
export interface BreakerTrip {
  readonly jobType: JobType;
  readonly slug: string;
  readonly figures: ComplaintFigures;
  readonly ratePercent: number;
  /** False when the switch could not be put: the log line then asks for it by hand. */
  readonly switchedOff: boolean;
}

/** Email pipelines the breaker may stop: every one but the critical crisis alert. */
export const breakablePipelines: readonly JobType[] = jobTypes.filter((jobType) => {
  const pipeline = pipelineOf(jobType);
  return pipeline.channel === 'email' && !pipeline.critical && pipeline.emailType !== null;
});

/**
 * The breaker of a pipeline: on, at 0.5 % and 10 complaints, unless ops set `{slug}/breaker-enabled=false`,
 * `{slug}/breaker-rate-percent` or `{slug}/breaker-min-events`. A value outside the catalog's range for it (or not
 * a plain decimal number) is reported and the default kept.
 *
 * @example
 * breakerPolicy('daily_digest', new Map([['daily-digest/breaker-rate-percent', '1']])).policy.ratePercent // 1
 */
export function breakerPolicy(jobType: JobType, parameters: ReadonlyMap<string, string> | null): { policy: BreakerPolicy; problems: string[] } {
  const problems: string[] = [];
  const read = (name: 'breaker-rate-percent' | 'breaker-min-events', fallback: number): number => {
    const key = parameterKey(jobType, name);
    const raw = parameters?.get(key);
    if (raw === undefined) return fallback;
    const parsed = readTunable(raw, rangeOf(jobType, name));
    if (parsed.ok) return parsed.value;
    problems.push(`${key}: ${shownValue(raw)} is not valid (${parsed.why}); using ${String(fallback)}`);
    return fallback;
  };
  const enabledKey = parameterKey(jobType, tunableNames.breakerEnabled);
  const enabledRaw = parameters?.get(enabledKey);
  const enabledState = parseSwitch(enabledRaw ?? 'true');
  if (enabledRaw !== undefined && enabledState === 'unknown') {
    problems.push(`${enabledKey}: ${shownValue(enabledRaw)} is not valid (expected true or false); using true`);
  }
  return {
    policy: {
      enabled: enabledState !== 'off',
      ratePercent: read(tunableNames.breakerRatePercent, breakerDefaults.ratePercent),
      minEvents: read(tunableNames.breakerMinEvents, breakerDefaults.minEvents),
    },
    problems,
  };
}

/** Complaints over deliveries, in percent; null without deliveries. */
export function complaintRatePercent(figures: Pick<ComplaintFigures, 'complaints' | 'deliveries'>): number | null {
  return figures.deliveries === 0 ? null : (100 * figures.complaints) / figures.deliveries;
}

/** Whether the figures trip a breaker: at least the minimum of complaints, and a rate above the threshold. */
export function breakerTrips(figures: ComplaintFigures, policy: BreakerPolicy): boolean {
  const rate = complaintRatePercent(figures);
  return policy.enabled && figures.complaints >= policy.minEvents && rate !== null && rate > policy.ratePercent;
}

/** What the breaker needs: the webhook wires these once. */
export interface BreakerDeps {
  readonly environment: Environment;
  readonly store: CuratorStore;
  /** The parameters as the curator reads them (switches and breaker settings). */
  readonly switches: SwitchSource;
  readonly switchWriter: SwitchWriter;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

const percent = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(2)} %`);

/**
 * The complaint breaker, run by the webhook after a delivery that carried complaints (unsubscribes or spam reports)
 * for the email types in `complainedTypes`. For each breakable pipeline of those types whose breaker is on and whose
 * kill switch is not already off, it reads the figures (curator_complaint_rates); when they trip it, it records the
 * trip first (a breaker_disable override: once per spell, however many invocations see the spike), then turns the
 * pipeline's own switch off and counts BreakerTrips once, which the P1 alarm storytailor-complaint-breaker pages on.
 * It never touches crisis_alert.
 */
export async function runComplaintBreaker(deps: BreakerDeps, complainedTypes: readonly string[], now: Date): Promise<BreakerTrip[]> {
  const candidates = breakablePipelines.filter((jobType) => complainedTypes.includes(pipelineOf(jobType).emailType!));
  if (candidates.length === 0) return [];
  const { parameters } = await deps.switches.read();
  const watched = candidates.flatMap((jobType) => {
    const { policy, problems } = breakerPolicy(jobType, parameters);
    if (problems.length > 0) reportIgnored(deps.switches, deps.logger, asIgnored(problems, parameters));
    const switchOff = parseSwitch(parameters?.get(parameterKey(jobType, tunableNames.enabled))) === 'off';
    return policy.enabled && !switchOff ? [{ jobType, policy }] : [];
  });
  if (watched.length === 0) return [];
  const figures = await deps.store.call(storeFunctions.complaintRates, {
    types: watched.map(({ jobType }) => ({ email_type: pipelineOf(jobType).emailType, pipeline_type: jobType })),
    now,
  });
  const trips: BreakerTrip[] = [];
  for (const { jobType, policy } of watched) {
    const row = figures.find((entry) => entry.pipeline_type === jobType);
    if (row === undefined || !breakerTrips(row, policy)) continue;
    const slug = pipelineOf(jobType).slug;
    const rate = complaintRatePercent(row)!;
    const reason = `complaint breaker: ${row.complaints} unsubscribes and spam reports since ${row.since} over ${row.deliveries} deliveries in 24 h = ${percent(rate)}, above ${policy.ratePercent} % (at least ${policy.minEvents})`;
    const recorded = await deps.store.call(storeFunctions.recordBreakerTrip, {
      pipelineType: jobType,
      reason,
      details: { environment: deps.environment, slug, ...row, rate_percent: Number(rate.toFixed(4)), threshold_percent: policy.ratePercent, min_events: policy.minEvents },
      now,
    });
    if (!recorded.recorded) continue;
    let switchedOff = true;
    try {
      await deps.switchWriter.turnOff(slug);
    } catch (error) {
      switchedOff = false;
      deps.logger.error('complaint breaker could not turn the switch off', { pipeline_type: jobType, ...errorFields(error) });
    }
    // The page is the alarm on BreakerTrips (storytailor-complaint-breaker, P1): PagerDuty and Slack read alarms,
    // not text on a topic. The trip is recorded once per spell, so it is counted, and pages, once.
    deps.metrics.record({ name: MetricName.BreakerTrips, value: 1, unit: 'Count', pipelineType: jobType });
    deps.logger.error('complaint breaker tripped', {
      ...row,
      rate_percent: rate,
      switched_off: switchedOff,
      override_id: recorded.id,
      reason,
      next: switchedOff
        ? `${killSwitchPath(deps.environment, slug)} is now false; held emails wait for a replay. After fixing the cause: npm run ops -- enable ${slug} --reason ..., then replay what was held`
        : `${killSwitchPath(deps.environment, slug)} could NOT be set: disable it by hand now (npm run ops -- disable ${slug} --reason ...)`,
    });
    trips.push({ jobType, slug, figures: row, ratePercent: rate, switchedOff });
  }
  return trips;
}
