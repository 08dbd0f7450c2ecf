import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KillPlan, SpooledMessage, WorkerInput } from './worker.js';

/** What one invocation came to: its answer, or the signal that killed it. */
export interface Invocation {
  readonly answer: Record<string, unknown> | null;
  readonly killed: boolean;
  /** Simulated time when it ended. */
  readonly endedMs: number;
}

/** The suite's part of a worker's input: everything but the event, the time, the owner and the kill plan. */
export type WorkerSetting = Omit<WorkerInput, 'event' | 'delivery' | 'nowMs' | 'owner' | 'kill'>;

/** Figures the suite prints. */
export const figures = { invocations: 0, kills: 0, redeliveries: 0, deadLettered: 0 };

/** Lambda's asynchronous retries of a failed invocation: about one and three minutes after the first. */
const lambdaRetriesMs = [60_000, 180_000];
/** The work queue's visibility timeout and how often a message is received before the dead-letter queue. */
const visibilityMs = 360_000;
const maxReceives = 3;

/** Runs one invocation in a process of its own. */
export function invoke(
  worker: string,
  setting: WorkerSetting,
  input: { event: unknown; delivery: 'direct' | 'work_queue'; nowMs: number; kill: KillPlan },
): Promise<Invocation> {
  figures.invocations += 1;
  const full: WorkerInput = { ...setting, ...input, owner: `lambda-${randomUUID().slice(0, 8)}` };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, JSON.stringify(full)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const endedMs = input.nowMs + (Date.now() - started);
      if (signal === 'SIGKILL') {
        figures.kills += 1;
        return resolve({ answer: null, killed: true, endedMs });
      }
      if (code !== 0) return reject(new Error(`the worker exited ${code ?? signal}: ${err.trim()}`));
      const line = out.trim().split('\n').pop() ?? 'null';
      resolve({ answer: JSON.parse(line) as Record<string, unknown>, killed: false, endedMs });
    });
  });
}

/** Whether Lambda retries an asynchronous invocation: it threw, or the process died. */
const failedDirect = (invocation: Invocation) => invocation.killed || (invocation.answer !== null && 'thrown' in invocation.answer);

/**
 * Delivers an event as EventBridge and Lambda do: once (with `kill`), and again at +60 s and +180 s while it fails
 * (the retries run without a planned kill), or once only when `retries` is false (they were spent, or the event
 * expired). Answers the simulated time after the last attempt.
 */
export async function deliverAsLambda(worker: string, setting: WorkerSetting, event: unknown, atMs: number, kill: KillPlan, retries = true): Promise<number> {
  let last = await invoke(worker, setting, { event, delivery: 'direct', nowMs: atMs, kill });
  let now = last.endedMs;
  for (const retry of retries ? lambdaRetriesMs : []) {
    if (!failedDirect(last)) break;
    figures.redeliveries += 1;
    last = await invoke(worker, setting, { event, delivery: 'direct', nowMs: Math.max(now, atMs + retry), kill: { at: 'none' } });
    now = last.endedMs;
  }
  return now;
}

interface Queued {
  readonly file: string;
  readonly message: SpooledMessage;
  readonly receives: number;
}

/**
 * Delivers what the curator queued for itself (continuations, re-queued redeliveries, shards, resumes) as the SQS
 * event source mapping would: each message once its delay has passed, in simulated time; a message whose
 * invocation failed or died is received again after the visibility timeout, three times at most, then it is
 * dead-lettered. Messages ready at the same time run concurrently, as the mapping's concurrency allows.
 */
export async function drainQueue(worker: string, setting: WorkerSetting, fromMs: number, concurrency = 3): Promise<number> {
  let now = fromMs;
  const retrying: Queued[] = [];
  for (let round = 0; round < 200; round += 1) {
    const fresh = readdirSync(setting.spool)
      .filter((file) => !file.startsWith('.'))
      .sort()
      .map((file): Queued => {
        const message = JSON.parse(readFileSync(join(setting.spool, file), 'utf8')) as SpooledMessage;
        rmSync(join(setting.spool, file));
        return { file, message, receives: 0 };
      });
    const waiting = [...retrying.splice(0), ...fresh];
    if (waiting.length === 0) return now;
    const readyAt = Math.min(...waiting.map((item) => item.message.notBeforeMs));
    now = Math.max(now, readyAt);
    const ready = waiting.filter((item) => item.message.notBeforeMs <= now).slice(0, concurrency);
    retrying.push(...waiting.filter((item) => !ready.includes(item)));
    const ended = await Promise.all(
      ready.map(async (item) => {
        const invocation = await invoke(worker, setting, { event: item.message.event, delivery: 'work_queue', nowMs: now, kill: { at: 'none' } });
        const failures = (invocation.answer?.batchItemFailures as unknown[] | undefined) ?? [];
        if (invocation.killed || failures.length > 0) {
          if (item.receives + 1 >= maxReceives) figures.deadLettered += 1;
          else {
            figures.redeliveries += 1;
            retrying.push({ ...item, receives: item.receives + 1, message: { ...item.message, notBeforeMs: now + visibilityMs } });
          }
        }
        return invocation.endedMs;
      }),
    );
    now = Math.max(now, ...ended);
  }
  throw new Error('the work queue never drained');
}
