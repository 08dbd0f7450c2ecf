import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { beforeAll, expect, it } from 'vitest';
import { lambdaFunctionMetrics } from '../../src/adapters/aws/lambda-function-metrics.js';
import { describeWithMoto, motoClientConfig } from '../support/moto.js';

const region = 'ca-central-1';
let cloudwatch: CloudWatchClient;

describeWithMoto("the curator's own Lambda errors and throttles, read back for the morning email", () => {
  beforeAll(async () => {
    cloudwatch = new CloudWatchClient(motoClientConfig(region));
    const now = Date.now();
    // What AWS/Lambda would hold: the curator's invocations over the night, and another function's.
    const datum = (functionName: string, metricName: string, value: number, minutesAgo: number) => ({
      MetricName: metricName,
      Dimensions: [{ Name: 'FunctionName', Value: functionName }],
      Timestamp: new Date(now - minutesAgo * 60_000),
      Value: value,
      Unit: 'Count' as const,
    });
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/Lambda',
        MetricData: [
          datum('storytailor-intelligence-curator-staging', 'Invocations', 40, 600),
          datum('storytailor-intelligence-curator-staging', 'Invocations', 12, 30),
          datum('storytailor-intelligence-curator-staging', 'Errors', 2, 600),
          datum('storytailor-intelligence-curator-staging', 'Throttles', 1, 30),
          datum('storytailor-intelligence-curator-staging', 'Errors', 7, 26 * 60),
          datum('another-teams-function', 'Errors', 99, 30),
        ],
      }),
    );
  });

  it("sums the last 24 hours of the curator's own invocations, errors and throttles, nothing older or another function's", async () => {
    const until = new Date();
    const health = await lambdaFunctionMetrics(cloudwatch, 'storytailor-intelligence-curator-staging').read(new Date(until.getTime() - 86_400_000), until);
    expect(health).toEqual({ functionName: 'storytailor-intelligence-curator-staging', invocations: 52, errors: 2, throttles: 1 });
  });
});
