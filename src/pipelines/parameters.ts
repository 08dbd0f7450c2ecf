import { opsSummary, pipelines, type JobType } from './catalog.js';

/** The deployment a name belongs to (a CDK context value). */
export const environments = ['production', 'staging'] as const;
export type Environment = (typeof environments)[number];

/** The slug of the switch that stops every pipeline at once. */
export const globalSwitchSlug = 'all';

/**
 * Everything ops can tune lives under this path and is read with one recursive GetParametersByPath.
 *
 * @example
 * parameterRoot('production') // '/storytailor-production/pipelines'
 */
export function parameterRoot(env: Environment): string {
  return `/storytailor-${env}/pipelines`;
}

/** `storytailor-{slug}-{env}`: the EventBridge rule of a catalog rule slug, as the stack names it. */
export function ruleName(env: Environment, slug: string): string {
  return `storytailor-${slug}-${env}`;
}

/** `storytailor-intelligence-curator-{env}`: the curator's Lambda function, as the stack names it. */
export function curatorFunctionName(env: Environment): string {
  return `storytailor-intelligence-curator-${env}`;
}

/** `storytailor-sendgrid-webhook-{env}`: SendGrid's event webhook, as the stack names it. */
export function webhookFunctionName(env: Environment): string {
  return `storytailor-sendgrid-webhook-${env}`;
}

/** `storytailor-stripe-webhook-{env}`: Stripe's webhook (invoices applying credits), as the stack names it. */
export function stripeWebhookFunctionName(env: Environment): string {
  return `storytailor-stripe-webhook-${env}`;
}

/** `/storytailor-{env}/pipelines/{slug}/enabled`, the kill switch of a pipeline or of `all`. */
export function killSwitchPath(env: Environment, slug: string): string {
  return `${parameterRoot(env)}/${slug}/enabled`;
}

/** The thirteen kill switches: one per pipeline slug, the ops summary's, then `all`. */
export function killSwitchSlugs(): string[] {
  return [...Object.values(pipelines).map((pipeline) => pipeline.slug), opsSummary.slug, globalSwitchSlug];
}

/**
 * Names of the tunable parameters, relative to the parameter root, as `{slug}/{name}`. Per pipeline:
 * `min-confidence`, `min-signals`, `sla-minutes`, `type-cap-max`, `type-cap-window-hours`. Under `all`:
 * `email-cap-24h`, `email-cap-7d`, `daily-credit-ceiling-cents`, `emails-per-run-ceiling`, `quiet-hours-start`,
 * `quiet-hours-end` (`HH:MM`). Per email pipeline, the
 * complaint breaker's `breaker-enabled`, `breaker-rate-percent` and `breaker-min-events`.
 */
export const tunableNames = {
  enabled: 'enabled',
  minConfidence: 'min-confidence',
  minSignals: 'min-signals',
  slaMinutes: 'sla-minutes',
  typeCapMax: 'type-cap-max',
  typeCapWindowHours: 'type-cap-window-hours',
  emailCap24h: 'email-cap-24h',
  emailCap7d: 'email-cap-7d',
  dailyCreditCeilingCents: 'daily-credit-ceiling-cents',
  emailsPerRunCeiling: 'emails-per-run-ceiling',
  quietHoursStart: 'quiet-hours-start',
  quietHoursEnd: 'quiet-hours-end',
  breakerEnabled: 'breaker-enabled',
  breakerRatePercent: 'breaker-rate-percent',
  breakerMinEvents: 'breaker-min-events',
} as const;

/** The tunables of a pipeline's own policy: its thresholds and its type cap (`{slug}/{name}`). */
export const pipelinePolicyTunables: readonly string[] = [
  tunableNames.minConfidence,
  tunableNames.minSignals,
  tunableNames.slaMinutes,
  tunableNames.typeCapMax,
  tunableNames.typeCapWindowHours,
];
/** The caps and ceilings every pipeline's policy shares (`all/{name}`). */
export const globalPolicyTunables: readonly string[] = [
  tunableNames.emailCap24h,
  tunableNames.emailCap7d,
  tunableNames.dailyCreditCeilingCents,
  tunableNames.emailsPerRunCeiling,
  tunableNames.quietHoursStart,
  tunableNames.quietHoursEnd,
];
/** Every tunable a policy reads: what `ops what-if` and `ops tune` take (the switches and the breaker are not a policy). */
export const policyTunableNames: readonly string[] = [...pipelinePolicyTunables, ...globalPolicyTunables];

/** The relative key of a pipeline's parameter, e.g. `crisis-alert/min-confidence`. */
export function parameterKey(slugOrJobType: string, name: string): string {
  const slug = Object.hasOwn(pipelines, slugOrJobType) ? pipelines[slugOrJobType as JobType].slug : slugOrJobType;
  return `${slug}/${name}`;
}

/** A parameter key read back into its slug (a pipeline's, `all` or `ops-summary`) and its name: parameterKey's inverse. */
export function splitParameterKey(key: string): { readonly slug: string; readonly name: string } {
  const at = key.indexOf('/');
  return at < 0 ? { slug: key, name: '' } : { slug: key.slice(0, at), name: key.slice(at + 1) };
}
