import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ssmSwitches } from '../../src/adapters/aws/ssm-switches.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';

const ssm = mockClient(SSMClient);
const parameters = [
  { Name: '/storytailor-production/pipelines/all/enabled', Value: 'true' },
  { Name: '/storytailor-production/pipelines/daily-digest/enabled', Value: 'false' },
];

describe('ssmSwitches', () => {
  beforeEach(() => {
    ssm.reset();
  });

  it('reads every switch under the environment path in one recursive call, keyed relative to it', async () => {
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: parameters });
    const switches = ssmSwitches({ client: new SSMClient({}), environment: 'production', ttlSeconds: 300, logger: memoryLogger(), metrics: memoryMetrics() });
    const snapshot = await switches.read();
    expect(snapshot).toEqual({ parameters: new Map([['all/enabled', 'true'], ['daily-digest/enabled', 'false']]), stale: false });
    await switches.read();
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
    expect(ssm.commandCalls(GetParametersByPathCommand)[0]!.args[0].input).toMatchObject({ Path: '/storytailor-production/pipelines', Recursive: true });
  });

  it('serves the last values read, marked stale, when SSM fails, and logs and counts it', async () => {
    ssm.on(GetParametersByPathCommand).resolvesOnce({ Parameters: parameters }).rejects(new Error('AccessDeniedException'));
    const metrics = memoryMetrics();
    const logger = memoryLogger();
    const switches = ssmSwitches({ client: new SSMClient({}), environment: 'production', ttlSeconds: 0, logger, metrics });
    await switches.read();
    const snapshot = await switches.read();
    expect(snapshot.stale).toBe(true);
    expect(snapshot.parameters?.get('daily-digest/enabled')).toBe('false');
    expect(metrics.total('SwitchReadFailures')).toBe(1);
    expect(logger.lines).toMatchObject([{ level: 'ERROR', message: 'kill switches unreadable: using the values last read' }]);
  });
});
