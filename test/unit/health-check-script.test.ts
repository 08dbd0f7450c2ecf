import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * scripts/health-check-pipelines.sh against a stubbed `aws` on PATH (moto's Lambda cannot invoke without Docker):
 * the stub answers `lambda invoke` as AWS would, writing the function's answer to the outfile, and `ssm get-parameter`.
 */
let bin: string;
const run = promisify(execFile);

beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), 'stub-aws-'));
  writeFileSync(
    join(bin, 'aws'),
    `#!/usr/bin/env bash
case "$1 $2" in
  "--version ") echo "aws-cli/1.32.0 Python/3.11"; exit 0 ;;
  "lambda invoke")
    out="\${@: -1}"
    case "$STUB" in
      healthy) echo '{"ok":true,"kind":"health","jobType":"health","status":"succeeded","durationMs":3,"health":{"switches":"ok","database":"ok","status":"healthy"}}' > "$out"; echo '{"StatusCode": 200}' ;;
      function-error) echo '{"errorType":"Error","errorMessage":"boom"}' > "$out"; echo '{"StatusCode": 200, "FunctionError": "Unhandled"}' ;;
      database-down) echo '{"ok":true,"kind":"health","jobType":"health","status":"failed","durationMs":3,"health":{"switches":"ok","database":"error","databaseError":"connect ECONNREFUSED","status":"unhealthy"}}' > "$out"; echo '{"StatusCode": 200}' ;;
      unhealthy) echo '{"ok":true,"kind":"health","jobType":"health","status":"failed","durationMs":3,"health":{"switches":"ok","database":"ok","runs":{"stuck":1},"missedRuns":[],"status":"unhealthy"}}' > "$out"; echo '{"StatusCode": 200}' ;;
      no-credentials) echo "Unable to locate credentials. You can configure credentials by running \\"aws configure\\"." >&2; exit 255 ;;
    esac
    exit 0 ;;
  "ssm get-parameter")
    [ "$STUB_SSM" = "down" ] && { echo "Could not connect to the endpoint URL" >&2; exit 255; }
    echo '{"Parameter":{"Value":"true"}}'; exit 0 ;;
esac
echo "unexpected: $*" >&2; exit 2
`,
  );
  chmodSync(join(bin, 'aws'), 0o755);
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

async function check(stub: string, ssm = 'up') {
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, STUB: stub, STUB_SSM: ssm, STORYTAILOR_ENV: 'staging' };
  try {
    const { stdout } = await run('bash', ['scripts/health-check-pipelines.sh'], { env });
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}

describe('scripts/health-check-pipelines.sh', () => {
  it('passes when the deployed function answers healthy and a switch can be read', async () => {
    expect(await check('healthy')).toEqual({ code: 0, out: expect.stringContaining('All health checks passed') });
  });

  it('fails (1) when the function answers with a FunctionError, though the invoke itself succeeded', async () => {
    expect(await check('function-error')).toEqual({ code: 1, out: expect.stringMatching(/answered with an error \(Unhandled\)/) });
  });

  it('exits 4 when the function reports the database unreachable', async () => {
    expect(await check('database-down')).toEqual({ code: 4, out: expect.stringMatching(/database is unreachable from the function: connect ECONNREFUSED/) });
  });

  it('fails (1) naming why when the health job is unhealthy', async () => {
    expect(await check('unhealthy')).toEqual({ code: 1, out: expect.stringMatching(/unhealthy: 1 stuck run/) });
  });

  it('exits 3 without credentials and 4 when SSM cannot be reached', async () => {
    expect((await check('no-credentials')).code).toBe(3);
    expect(await check('healthy', 'down')).toEqual({ code: 4, out: expect.stringMatching(/SSM health check failed: Could not connect/) });
  });
});
