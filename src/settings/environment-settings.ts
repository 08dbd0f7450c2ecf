import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Environment } from '../pipelines/index.js';

/**
 * Where each severity's alarms reach a person (runbooks/monitoring.md, "Connecting PagerDuty and Slack"). The
 * PagerDuty endpoints hold their integration keys, so only the names of the Secrets Manager secrets that hold them
 * are here (created by hand before the first deploy, resolved at deploy); Slack's workspace and channel ids are not
 * secret. Production needs every route; staging may leave any out (its alarms then reach nobody, which says so).
 */
export const alertRoutesSchema = z
  .object({
    /** P1: the secret holding the PagerDuty CloudWatch integration URL of the high-urgency service. */
    pagerDutyUrgentSecret: z.string().trim().min(1),
    /** P2: the secret holding the URL of the service whose urgency follows support hours. */
    pagerDutyBusinessHoursSecret: z.string().trim().min(1),
    /** P3: the Slack workspace authorized once in the Chatbot console, and the channel warnings go to. */
    slackWorkspaceId: z.string().regex(/^T[A-Z0-9]{6,}$/, 'a Slack workspace id starts with T, e.g. T012AB3CD'),
    slackChannelId: z.string().regex(/^[CG][A-Z0-9]{6,}$/, 'a Slack channel id starts with C (or G), e.g. C012AB3CD'),
  })
  .partial()
  .strict();
export type AlertRoutes = z.infer<typeof alertRoutesSchema>;

/** What each route is for, for the message that names a missing one. */
export const routeNames: Readonly<Record<keyof AlertRoutes, string>> = {
  pagerDutyUrgentSecret: 'P1 -> PagerDuty (high urgency)',
  pagerDutyBusinessHoursSecret: 'P2 -> PagerDuty (support hours)',
  slackWorkspaceId: 'P3 -> Slack (workspace)',
  slackChannelId: 'P3 -> Slack (channel)',
};

/**
 * The settings of one environment: cdk.json's context value `storytailor:{env}`. The stack is built from them, and
 * the ops commands read the ones that are theirs (the clinical approvers) from the same file.
 */
export const environmentSettingsSchema = z
  .object({
    supabaseUrl: z.url(),
    fromEmail: z.email(),
    templates: z.record(z.string(), z.string().min(1)),
    reservedConcurrency: z.number().int().min(5).max(1_000),
    workConcurrency: z.number().int().min(2).max(1_000).default(2),
    /** A digest or insights population above this is split into shards of this many, one invocation each. */
    shardSize: z.number().int().min(1_000).max(10_000_000).default(50_000),
    /** How long an email of unknown outcome waits for SendGrid's events before it may be settled failed and resent. */
    evidenceGraceMinutes: z.number().int().min(5).max(24 * 60).default(30),
    canaryRecipients: z.array(z.email()).default([]),
    /** Who receives the morning ops summary (09:00 UTC); at least one address, the guide's Info alerts go there. */
    opsSummaryRecipients: z.array(z.email()).min(1),
    /**
     * The clinicians who may approve a change to a clinical pipeline's thresholds (`ops tune … --approved-by`), by
     * name. An attestation, not authentication: the override also records who ran the command (their AWS identity).
     */
    clinicalApprovers: z.array(z.string().trim().min(3).max(100)).min(1),
    alertRoutes: alertRoutesSchema.default({}),
  })
  .refine((value) => value.workConcurrency < value.reservedConcurrency, {
    message: 'workConcurrency must stay below reservedConcurrency, so realtime signals always find an invocation',
    path: ['workConcurrency'],
  });
export type EnvironmentSettings = z.infer<typeof environmentSettingsSchema>;

/** The settings of an environment as cdk.json's context holds them, or what is wrong with them. */
export function parseEnvironmentSettings(environment: Environment, raw: unknown): EnvironmentSettings {
  const settings = environmentSettingsSchema.safeParse(raw);
  if (!settings.success) {
    throw new Error(`cdk.json context "storytailor:${environment}" is invalid: ${settings.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`, { cause: settings.error });
  }
  const missing = missingRoutes(settings.data.alertRoutes);
  if (environment === 'production' && missing.length > 0) {
    throw new Error(
      `cdk.json context "storytailor:production".alertRoutes is missing ${missing.map((route) => `${route} (${routeNames[route]})`).join(', ')}: ` +
        'production alarms must reach a person (runbooks/monitoring.md, "Connecting PagerDuty and Slack")',
    );
  }
  return settings.data;
}

/** The routes an environment leaves out. */
export function missingRoutes(routes: AlertRoutes): Array<keyof AlertRoutes> {
  return (Object.keys(routeNames) as Array<keyof AlertRoutes>).filter((route) => routes[route] === undefined);
}

/** The repository's cdk.json, as the ops commands read it from the checkout they run in. */
export const cdkJsonPath = fileURLToPath(new URL('../../cdk.json', import.meta.url));

/** Reads an environment's settings from cdk.json (the one of this checkout unless `path` names another). */
export function readEnvironmentSettings(environment: Environment, path = cdkJsonPath): EnvironmentSettings {
  const document = JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> };
  return parseEnvironmentSettings(environment, document.context?.[`storytailor:${environment}`]);
}
