import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** A scripted answer: status, headers, body, and how long to wait before answering. */
export interface Scripted {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly delayMs?: number;
}

async function listen(handler: (request: IncomingMessage, body: string, response: ServerResponse) => Promise<void> | void) {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => void handler(request, Buffer.concat(chunks).toString('utf8'), response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, port, url: `http://127.0.0.1:${port}` };
}

function reply(response: ServerResponse, answer: Scripted) {
  const send = () => {
    if (response.destroyed) return;
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  };
  if (answer.delayMs) setTimeout(send, answer.delayMs);
  else send();
}

/** What a fake provider answers instead of its own answer, or null to answer as the provider would. */
export type FaultPlan = () => Scripted | null;

/**
 * A local stand-in for SendGrid's v3 mail send: records every request, answers 202 unless scripted otherwise (or
 * `fault` says so). `accepted` lists the recipients of the requests it answered 202: the emails that went.
 */
export async function fakeSendGrid(options: { fault?: FaultPlan } = {}) {
  type Body = { from: unknown; template_id: string; personalizations: Array<Record<string, any>> };
  const requests: Array<{ authorization: string | undefined; body: Body; accepted: boolean }> = [];
  const script: Scripted[] = [];
  let messages = 0;
  const { server, url } = await listen((request, body, response) => {
    const entry = { authorization: request.headers.authorization, body: JSON.parse(body || '{}') as Body, accepted: false };
    requests.push(entry);
    const scripted = script.shift() ?? options.fault?.() ?? null;
    if (scripted) return reply(response, scripted);
    messages += 1;
    entry.accepted = true;
    reply(response, { status: 202, headers: { 'x-message-id': `sg-message-${messages}` } });
  });
  return {
    url,
    requests,
    /** Answers for the next requests, in order. */
    script,
    /** Every recipient of every request answered 202. */
    accepted: () => requests.filter((entry) => entry.accepted).flatMap((entry) => entry.body.personalizations ?? []),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A local stand-in for the parts of Stripe the curator uses, idempotent on Idempotency-Key as Stripe is. */
export async function fakeStripe(options: { fault?: FaultPlan } = {}) {
  const requests: Array<{ method: string; path: string; idempotencyKey: string | undefined; form: Record<string, string> }> = [];
  const transactions: Array<{ id: string; customer: string; amount: number; currency: string; metadata: Record<string, string> }> = [];
  const byKey = new Map<string, unknown>();
  const balances = new Map<string, number>();
  /** Subscriptions by customer, as the test sets them: each with its items' current period ends (unix seconds). */
  const subscriptions = new Map<string, Array<{ id: string; status: string; cancel_at_period_end?: boolean; periodEnds: number[] }>>();
  const script: Scripted[] = [];
  /** When set, a create is applied but answered with this failure (the response is lost). */
  const lost = { remaining: 0 };
  const { server, port, url } = await listen((request, body, response) => {
    const path = new URL(request.url ?? '/', url).pathname;
    const form = Object.fromEntries(new URLSearchParams(body));
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    requests.push({ method: request.method ?? 'GET', path, idempotencyKey, form });
    const create = /^\/v1\/customers\/([^/]+)\/balance_transactions$/.exec(path);
    const customer = /^\/v1\/customers\/([^/]+)$/.exec(path);
    if (request.method === 'POST' && create) {
      if (idempotencyKey && byKey.has(idempotencyKey)) return reply(response, { status: 200, body: byKey.get(idempotencyKey) });
      const scripted = script.shift() ?? options.fault?.() ?? null;
      if (scripted) return reply(response, scripted);
      const transaction = {
        id: `cbtxn_fake_${transactions.length + 1}`,
        object: 'customer_balance_transaction',
        customer: create[1]!,
        amount: Number(form.amount),
        currency: form.currency!,
        description: form.description,
        metadata: { ledger_id: form['metadata[ledger_id]']! },
      };
      transactions.push(transaction);
      balances.set(transaction.customer, (balances.get(transaction.customer) ?? 0) + transaction.amount);
      if (idempotencyKey) byKey.set(idempotencyKey, transaction);
      if (lost.remaining > 0) {
        lost.remaining -= 1;
        if (idempotencyKey) byKey.delete(idempotencyKey);
        return reply(response, { status: 500, body: { error: { type: 'api_error', message: 'the answer was lost' } } });
      }
      return reply(response, { status: 200, body: transaction });
    }
    if (request.method === 'GET' && create) {
      const data = transactions.filter((transaction) => transaction.customer === create[1]);
      return reply(response, { status: 200, body: { object: 'list', data, has_more: false, url: path } });
    }
    if (request.method === 'GET' && path === '/v1/subscriptions') {
      const scripted = script.shift();
      if (scripted) return reply(response, scripted);
      const query = new URL(request.url ?? '/', url).searchParams;
      const data = (subscriptions.get(query.get('customer') ?? '') ?? []).map((subscription) => ({
        id: subscription.id,
        object: 'subscription',
        status: subscription.status,
        cancel_at_period_end: subscription.cancel_at_period_end ?? false,
        items: { object: 'list', data: subscription.periodEnds.map((end, index) => ({ id: `si_${subscription.id}_${index}`, object: 'subscription_item', current_period_end: end })), has_more: false },
      }));
      return reply(response, { status: 200, body: { object: 'list', data, has_more: false, url: path } });
    }
    if (request.method === 'GET' && customer) {
      return reply(response, { status: 200, body: { id: customer[1], object: 'customer', balance: balances.get(customer[1]!) ?? 0 } });
    }
    reply(response, { status: 404, body: { error: { type: 'invalid_request_error', message: `no route ${request.method} ${path}` } } });
  });
  return {
    url,
    port,
    requests,
    transactions,
    balances,
    subscriptions,
    script,
    lost,
    creates: () => requests.filter((request) => request.method === 'POST'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const stripeError = (status: number, type = status === 429 ? 'rate_limit_error' : 'api_error'): Scripted => ({
  status,
  headers: status === 429 ? { 'retry-after': '0' } : {},
  body: { error: { type, message: `injected ${status}` } },
});
