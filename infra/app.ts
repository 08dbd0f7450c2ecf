/**
 * The CDK app: `npx cdk synth -c env=production`, `npx cdk deploy -c env=staging`. Settings per environment are
 * the context value `storytailor:{env}` in cdk.json (src/settings/environment-settings.ts: Supabase URL, sender,
 * template ids, reserved concurrency, canary list, work-queue concurrency, shard size, clinical approvers). cdk-nag's
 * AwsSolutions checks run on every synth; an unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { environments } from '../src/pipelines/index.js';
import { parseEnvironmentSettings } from '../src/settings/environment-settings.js';
import { CuratorStack } from './curator-stack.js';

/** Builds the app for one environment, from CDK context or the values given (tests). */
export function buildApp(context: Record<string, unknown> = {}): { app: App; stack: CuratorStack } {
  const app = new App({ context });
  const environment = z.enum(environments).safeParse(app.node.tryGetContext('env') ?? 'staging');
  if (!environment.success) throw new Error(`-c env must be one of ${environments.join(', ')}`);
  const settings = parseEnvironmentSettings(environment.data, app.node.tryGetContext(`storytailor:${environment.data}`));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new CuratorStack(app, `storytailor-curator-${environment.data}`, {
    environment: environment.data,
    settings,
    description: `Storytailor Intelligence Curator (${environment.data})`,
    env: { region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1', ...(process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT } : {}) },
  });
  return { app, stack };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  buildApp().app.synth();
}
