import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { killSwitchPath } from '../../pipelines/index.js';
import { defineCommand } from '../command.js';
import { ExitCode, explain } from '../errors.js';

/**
 * `health`: the guide's synthetic check from where on-call stands: one switch read from SSM, the database opened,
 * then the health job run here through the request contract (runHere), against whichever database ops reaches.
 * Exit 1 when the job finds anything unhealthy.
 */
export const health = defineCommand({
  name: 'health',
  group: 'act',
  words: '',
  help: 'run the health job here (database, SSM, runs, missed runs) and check SSM; exit 1 when unhealthy',
  options: {},
  async run({ context }) {
    try {
      await context.ssm.send(new GetParameterCommand({ Name: killSwitchPath(context.env, 'daily-digest') }));
    } catch (error) {
      throw explain(error, `reading ${killSwitchPath(context.env, 'daily-digest')}`);
    }
    await context.store();
    const result = await context.runHere({ detail: { jobType: 'health' } });
    context.out(JSON.stringify(result.ok && result.kind === 'health' ? result.health : result, null, 2));
    return result.ok && result.status === 'succeeded' ? ExitCode.ok : ExitCode.failed;
  },
});
