import { Stack, Token, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** cdk-nag findings about IAM name the exact finding; these are the ones this stack accepts, with why. */
export const basicExecutionRole = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
export const anyResource = 'AwsSolutions-IAM5[Resource::*]';

/** The finding id of a wildcard under an SSM path, as cdk-nag prints it for this stack. */
export function ssmPathFinding(scope: IConstruct, path: string): string {
  return ssmParametersFinding(scope, `${path}/*`);
}

/** The finding id of a wildcard over parameter names (a root, a star, a tunable), as cdk-nag prints it for this stack. */
export function ssmParametersFinding(scope: IConstruct, pattern: string): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}:${account}:parameter${pattern}]`;
}

/** The finding id of a wildcard over a log group's streams, as cdk-nag prints it for this stack. */
export function logGroupFinding(scope: IConstruct, logGroupName: string): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${region}:${account}:log-group:${logGroupName}:*]`;
}

/** The Lambda functions CDK adds for its own custom resources (log group policies, AwsCustomResource). */
export function acknowledgeCdkProviders(stack: Stack): void {
  for (const child of stack.node.children) {
    const id = child.node.id;
    if (!id.startsWith('EventsLogGroupPolicy') && id !== 'AWS679f53fac002430cb0da5b7982bd2287') continue;
    Validations.of(child).acknowledge({
      id: basicExecutionRole,
      reason: 'CDK-provided custom resource function: the managed policy only lets it write its own logs.',
    });
    Validations.of(child).acknowledge({
      id: anyResource,
      reason:
        'CDK-provided custom resource: logs:PutResourcePolicy has no resource ARN (it lets EventBridge write to the /aws/events log groups), and AwsCustomResource statements are scoped in each call.',
    });
  }
}
