import { Arn, Stack, Validations } from 'aws-cdk-lib';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { killSwitchPath, killSwitchSlugs, type Environment } from '../../src/pipelines/index.js';

/** Props of {@link KillSwitches}. */
export interface KillSwitchesProps {
  readonly environment: Environment;
}

/**
 * The thirteen kill switches, `/storytailor-{env}/pipelines/{slug}/enabled`, String parameters created with `true`
 * only when absent: a deploy never turns back on a switch ops turned off, and deleting the stack leaves them.
 * CloudFormation cannot express "create if absent", so a custom resource calls PutParameter without Overwrite and
 * accepts ParameterAlreadyExists.
 */
export class KillSwitches extends Construct {
  public readonly paths: readonly string[];

  constructor(scope: Construct, id: string, props: KillSwitchesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.paths = killSwitchSlugs().map((slug) => killSwitchPath(props.environment, slug));
    for (const [index, slug] of killSwitchSlugs().entries()) {
      const name = this.paths[index]!;
      const switchResource = new AwsCustomResource(this, slug, {
        installLatestAwsSdk: false,
        onCreate: {
          service: 'SSM',
          action: 'putParameter',
          parameters: { Name: name, Value: 'true', Type: 'String', Overwrite: false, Description: `Kill switch of ${slug}: true or false` },
          physicalResourceId: PhysicalResourceId.of(name),
          ignoreErrorCodesMatching: 'ParameterAlreadyExists',
        },
        policy: AwsCustomResourcePolicy.fromSdkCalls({
          resources: [Arn.format({ service: 'ssm', resource: 'parameter', resourceName: name.slice(1) }, stack)],
        }),
      });
      Validations.of(switchResource).acknowledge({
        id: 'AwsSolutions-IAM5',
        reason: 'The custom resource may only put this one parameter.',
      });
    }
  }
}
