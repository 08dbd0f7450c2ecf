import { describe } from 'vitest';

/** The moto_server endpoint for this run, or null when there is none. */
export const motoEndpoint: string | null = process.env.MOTO_ENDPOINT ?? null;

/** Credentials moto accepts; never real ones. */
export const motoCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** SDK client configuration for moto in a region of the test file's own, so files running at once never meet. */
export function motoClientConfig(region: string) {
  return { region, endpoint: motoEndpoint ?? 'http://127.0.0.1:1', credentials: motoCredentials, maxAttempts: 2 };
}

/** Environment for a child process (awscli, the ops command) talking to moto. */
export function motoEnvironment(region: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: motoCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: motoCredentials.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_ENDPOINT_URL: motoEndpoint ?? '',
  };
}

/**
 * A describe block that needs moto: skipped, saying why, on a machine without moto_server; a failure in CI,
 * where moto must be there.
 */
export function describeWithMoto(name: string, body: () => void): void {
  if (motoEndpoint !== null) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      throw new Error('moto_server is required in CI: MOTO_ENDPOINT is not set and moto_server could not be started');
    });
    return;
  }
  console.warn(`skipping "${name}": moto_server is not installed (pip install "moto[server]") and MOTO_ENDPOINT is not set`);
  describe.skip(name, body);
}
