import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free loopback port, from the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}`);
    try {
      await fetch(`${endpoint}/moto-api/`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`moto_server did not answer at ${endpoint}`);
}

/**
 * Starts moto_server on a free loopback port for the AWS tests, unless MOTO_ENDPOINT already names one (.ci/run
 * starts its own). Where moto_server is not installed the AWS tests say so and skip, except in CI.
 */
export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env.MOTO_ENDPOINT) return undefined;
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status !== 0) return undefined;
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await waitUntilUp(endpoint, child);
  process.env.MOTO_ENDPOINT = endpoint;
  return () => {
    child.kill('SIGTERM');
  };
}
