import { createServer } from 'node:http';
import type { SqlClient } from '../../src/db/sql-client.js';
import { sqlParameterName, storeFunctions } from '../../src/store/functions.js';
import { sqlTransport } from '../../src/store/sql-transport.js';

/** What the stand-in saw of each request: the path and the credentials it came with. */
export interface PostgrestRequest {
  readonly path: string;
  readonly apikey: string | null;
  readonly authorization: string | null;
}

/**
 * Stands in for PostgREST as a `fetch`: serves supabase-js's `POST /rest/v1/rpc/{fn}` from `sql`, as the hosted API
 * would, and answers SQL errors the way PostgREST does. Each request is pushed to `requests`.
 */
export function postgrestFetch(sql: SqlClient, requests: PostgrestRequest[]): typeof fetch {
  const transport = sqlTransport(sql);
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    requests.push({ path: url.pathname, apikey: request.headers.get('apikey'), authorization: request.headers.get('authorization') });
    const name = /^\/rest\/v1\/rpc\/([a-z_]+)$/.exec(url.pathname)?.[1];
    const fn = Object.values(storeFunctions).find((declared) => declared.name === name);
    const body = (await request.json()) as Record<string, unknown>;
    // PostgREST resolves a function by its name and the names of the arguments sent: all of them, as declared.
    const declared = fn === undefined ? [] : Object.keys(fn.params).map(sqlParameterName);
    if (request.method !== 'POST' || fn === undefined || Object.keys(body).sort().join() !== [...declared].sort().join()) {
      return Response.json({ code: 'PGRST202', message: `Could not find the function ${url.pathname}` }, { status: 404 });
    }
    try {
      const args = Object.fromEntries(Object.keys(fn.params).map((param) => [param, body[sqlParameterName(param)]]));
      return Response.json(await transport.call(fn, args));
    } catch (error) {
      return Response.json({ code: 'P0001', message: (error as Error).message, details: null, hint: null }, { status: 400 });
    }
  };
}

/** The same stand-in listening on a local port, for code that makes its own Supabase client (the ops commands). */
export async function postgrestServer(sql: SqlClient) {
  const requests: PostgrestRequest[] = [];
  const answer = postgrestFetch(sql, requests);
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') headers.set(name, value);
      const response = await answer(`http://127.0.0.1${incoming.url}`, { method: incoming.method, headers, body: chunks.length ? Buffer.concat(chunks) : null });
      outgoing.writeHead(response.status, { 'content-type': 'application/json' });
      outgoing.end(await response.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
