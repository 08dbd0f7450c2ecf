import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';

/** A local endpoint that answers every request after `latencyMs`, counting requests. */
export interface CountingServer {
  readonly url: string;
  readonly requests: () => number;
  readonly close: () => Promise<void>;
}

async function serve(latencyMs: number, answer: (body: string) => { status: number; headers: Record<string, string>; body: string }): Promise<CountingServer> {
  let count = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      count += 1;
      const reply = answer(Buffer.concat(chunks).toString('utf8'));
      setTimeout(() => {
        response.writeHead(reply.status, reply.headers);
        response.end(reply.body);
      }, latencyMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests: () => count, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Behaves like SendGrid's v3 mail send: 202 with an X-Message-Id after the latency. */
export function sendGridLike(latencyMs: number): Promise<CountingServer> {
  let id = 0;
  return serve(latencyMs, () => ({ status: 202, headers: { 'x-message-id': `bench-${(id += 1)}` }, body: '' }));
}

/** Behaves like CloudWatch's PutMetricData (JSON 1.0 protocol): 200 with an empty object after the latency. */
export function cloudWatchLike(latencyMs: number): Promise<CountingServer> {
  return serve(latencyMs, () => ({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' }));
}

/** A TCP relay that holds every chunk `oneWayMs` in each direction: a network round trip of twice that. */
export interface LatencyProxy {
  readonly port: number;
  readonly close: () => Promise<void>;
}

/** Puts `oneWayMs` of latency each way between a client and `target` (the database server, say). */
export async function latencyProxy(target: { host: string; port: number }, oneWayMs: number): Promise<LatencyProxy> {
  const open = new Set<Socket>();
  const server = createNetServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair = [client, upstream] as const;
    for (const socket of pair) {
      open.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => pair.forEach((each) => each.destroy()));
    }
    // Timers of one delay fire in the order they were set, so the bytes keep their order.
    const relay = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => setTimeout(() => to.write(chunk), oneWayMs));
      from.on('end', () => setTimeout(() => to.end(), oneWayMs));
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
