import { execFile } from 'node:child_process';
import { createServer, request as forward } from 'node:http';
import { promisify } from 'node:util';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { motoClientConfig, motoEnvironment } from './moto.js';
import type { AddressInfo } from 'node:net';

/** The smallest valid zip (an empty archive): moto keeps a function's code without running it. */
const emptyZip = Buffer.from(`504b0506${'00'.repeat(18)}`, 'hex');
const lambdaTrust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

/**
 * The curator "deployed" in moto as on-call finds it: `storytailor-intelligence-curator-staging` with its Supabase URL
 * and the ARN of a Secrets Manager secret holding `serviceKey` (a role made with awscli, as moto needs one).
 */
export async function deployCuratorInMoto(region: string, input: { supabaseUrl: string; serviceKey: string; name: string }): Promise<void> {
  const secret = await new SecretsManagerClient(motoClientConfig(region)).send(new CreateSecretCommand({ Name: `storytailor/staging/${input.name}`, SecretString: input.serviceKey }));
  const { stdout } = await promisify(execFile)('aws', ['iam', 'create-role', '--role-name', input.name, '--assume-role-policy-document', lambdaTrust, '--output', 'json'], {
    env: { ...process.env, ...motoEnvironment(region) },
  });
  await new LambdaClient(motoClientConfig(region)).send(
    new CreateFunctionCommand({
      FunctionName: 'storytailor-intelligence-curator-staging',
      Runtime: 'nodejs22.x',
      Role: (JSON.parse(stdout) as { Role: { Arn: string } }).Role.Arn,
      Handler: 'index.handler',
      Code: { ZipFile: emptyZip },
      Environment: { Variables: { SUPABASE_URL: input.supabaseUrl, SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN: secret.ARN! } },
    }),
  );
}

/**
 * One endpoint for the AWS SDK that answers Lambda's Invoke for `functionName` by running `handler` (as the
 * deployed function would: the event in, its JSON answer out, `X-Amz-Function-Error` when it throws) and passes
 * every other request to moto, which keeps a function's configuration but cannot run one without Docker.
 */
export async function lambdaInvokeRouter(options: { motoEndpoint: string; functionName: string; handler: (event: unknown) => Promise<unknown> }) {
  const invokePath = `/2015-03-31/functions/${encodeURIComponent(options.functionName)}/invocations`;
  const invocations: unknown[] = [];
  const moto = new URL(options.motoEndpoint);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url?.split('?')[0] === invokePath) {
        const event: unknown = JSON.parse(body.toString('utf8'));
        invocations.push(event);
        options.handler(event).then(
          (answer) => {
            res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
            res.end(JSON.stringify(answer));
          },
          (error: unknown) => {
            res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
            res.end(JSON.stringify({ errorType: 'Error', errorMessage: error instanceof Error ? error.message : String(error) }));
          },
        );
        return;
      }
      const upstream = forward({ host: moto.hostname, port: moto.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invocations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
