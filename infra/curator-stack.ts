import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Environment } from '../src/pipelines/index.js';
import { acknowledgeCdkProviders } from './acknowledgements.js';
import type { EnvironmentSettings } from '../src/settings/environment-settings.js';
import { IntelligenceCurator } from './constructs/curator.js';
import { KillSwitches } from './constructs/kill-switches.js';
import { Monitoring } from './constructs/monitoring.js';
import { OnCallAccess } from './constructs/on-call.js';
import { OpsSummaryFunction } from './constructs/ops-summary.js';
import { PipelineSchedules } from './constructs/schedules.js';
import { CuratorSecrets } from './constructs/secrets.js';
import { SendGridWebhook } from './constructs/webhook.js';
import { StripeWebhook } from './constructs/stripe-webhook.js';

/** Props of {@link CuratorStack}. */
export interface CuratorStackProps extends StackProps {
  readonly environment: Environment;
  readonly settings: EnvironmentSettings;
}

/**
 * The whole production system of DESIGN.md for one environment: secrets, the curator, its eight rules and health
 * schedule, the thirteen kill switches, the SendGrid webhook, the alarms, their topics and where each reaches a person,
 * the dashboard, and the on-call policy.
 */
export class CuratorStack extends Stack {
  public readonly curator: IntelligenceCurator;
  public readonly opsSummary: OpsSummaryFunction;
  public readonly schedules: PipelineSchedules;
  public readonly monitoring: Monitoring;
  public readonly webhook: SendGridWebhook;
  public readonly stripeWebhook: StripeWebhook;

  constructor(scope: Construct, id: string, props: CuratorStackProps) {
    super(scope, id, props);
    const { environment, settings } = props;
    const secrets = new CuratorSecrets(this, 'Secrets', { environment });
    this.curator = new IntelligenceCurator(this, 'Curator', { environment, settings, secrets });
    this.opsSummary = new OpsSummaryFunction(this, 'OpsSummary', { environment, settings, secrets });
    this.schedules = new PipelineSchedules(this, 'Schedules', {
      environment,
      curator: this.curator.fn,
      opsSummary: this.opsSummary.fn,
      deadLetterQueue: this.curator.deadLetterQueue,
    });
    new KillSwitches(this, 'KillSwitches', { environment });
    const curatorLogGroupName = `/aws/lambda/${this.curator.functionName}`;
    this.monitoring = new Monitoring(this, 'Monitoring', {
      environment,
      curator: this.curator.fn,
      curatorName: this.curator.functionName,
      curatorLogGroupName,
      deadLetterQueue: this.curator.deadLetterQueue,
      reservedConcurrency: settings.reservedConcurrency,
      routes: settings.alertRoutes,
    });
    this.webhook = new SendGridWebhook(this, 'SendGridWebhook', {
      environment,
      supabaseUrl: settings.supabaseUrl,
      secrets,
      workQueue: this.curator.workQueue,
      evidenceGraceMinutes: settings.evidenceGraceMinutes,
    });
    this.stripeWebhook = new StripeWebhook(this, 'StripeWebhook', { environment, supabaseUrl: settings.supabaseUrl, secrets });
    new OnCallAccess(this, 'OnCall', {
      environment,
      curator: this.curator.fn,
      opsSummary: this.opsSummary.fn,
      curatorLogGroupName,
      rules: Object.values(this.schedules.rules),
      secrets: [secrets.supabaseServiceRoleKey, secrets.stripeSecretKey],
      pageTests: Object.values(this.monitoring.pageTests),
    });
    acknowledgeCdkProviders(this);
  }
}
