import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { SwitchWriter } from '../../curator/ports.js';
import { killSwitchPath, type Environment } from '../../pipelines/index.js';

/**
 * Puts a pipeline's kill switch to `false` in SSM, as `ops disable` does. Only the switch parameters of the email
 * pipelines may be put by the webhook's role (the stack names each one).
 */
export function ssmSwitchWriter(client: SSMClient, environment: Environment): SwitchWriter {
  return {
    async turnOff(slug) {
      await client.send(new PutParameterCommand({ Name: killSwitchPath(environment, slug), Value: 'false', Type: 'String', Overwrite: true }));
    },
  };
}
