import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Environment } from '../pipelines/index.js';

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
    canaryRecipients: z.array(z.email()).default([]),
    /** Who receives the morning ops summary (09:00 UTC); at least one address, the guide's Info alerts go there. */
    opsSummaryRecipients: z.array(z.email()).min(1),
    /**
     * The clinicians who may approve a change to a clinical pipeline's thresholds (`ops tune … --approved-by`), by
     * name. An attestation, not authentication: the override also records who ran the command (their AWS identity).
     */
    clinicalApprovers: z.array(z.string().trim().min(3).max(100)).min(1),
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
    throw new Error(`cdk.json context "storytailor:${environment}" is invalid: ${settings.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return settings.data;
}

/** The repository's cdk.json, as the ops commands read it from the checkout they run in. */
export const cdkJsonPath = fileURLToPath(new URL('../../cdk.json', import.meta.url));

/** Reads an environment's settings from cdk.json (the one of this checkout unless `path` names another). */
export function readEnvironmentSettings(environment: Environment, path = cdkJsonPath): EnvironmentSettings {
  const document = JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> };
  return parseEnvironmentSettings(environment, document.context?.[`storytailor:${environment}`]);
}
