/**
 * The CDK app: `npx cdk synth -c env=production`, `npx cdk deploy -c env=staging`. Settings per environment are
 * the context value `storytailor:{env}` in cdk.json (Supabase URL, sender, template ids, reserved concurrency,
 * canary list, work-queue concurrency, shard size). cdk-nag's AwsSolutions checks run on every synth; an unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { environments } from '../src/pipelines/index.js';
import { CuratorStack } from './curator-stack.js';

const settingsSchema = z.object({
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
});

/** Builds the app for one environment, from CDK context or the values given (tests). */
export function buildApp(context: Record<string, unknown> = {}): { app: App; stack: CuratorStack } {
  const app = new App({ context });
  const environment = z.enum(environments).safeParse(app.node.tryGetContext('env') ?? 'staging');
  if (!environment.success) throw new Error(`-c env must be one of ${environments.join(', ')}`);
  const raw = app.node.tryGetContext(`storytailor:${environment.data}`);
  const settings = settingsSchema
    .refine((value) => value.workConcurrency < value.reservedConcurrency, {
      message: 'workConcurrency must stay below reservedConcurrency, so realtime signals always find an invocation',
      path: ['workConcurrency'],
    })
    .safeParse(raw);
  if (!settings.success) {
    throw new Error(`cdk.json context "storytailor:${environment.data}" is invalid: ${settings.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new CuratorStack(app, `storytailor-curator-${environment.data}`, {
    environment: environment.data,
    settings: settings.data,
    description: `Storytailor Intelligence Curator (${environment.data})`,
    env: { region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1', ...(process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT } : {}) },
  });
  return { app, stack };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  buildApp().app.synth();
}
