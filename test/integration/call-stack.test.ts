import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { curatorHarness, scheduledEvent, type Harness } from '../support/curator-harness.js';
import { seedDigestPopulation } from '../support/population.js';

const firing = new Date('2026-11-23T20:00:00Z');
const srcDir = new URL('../../src/', import.meta.url).pathname;

let db: TestDatabase;
let curator: Harness;

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDigestPopulation(db.sql, firing, { engaged: 3, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
  curator = curatorHarness(db, { start: new Date(firing.getTime() + 5_000) });
});
afterAll(async () => {
  await db?.close();
});

interface Frame {
  readonly fn: string;
  readonly file: string;
}

/** The frames of a V8 stack that run code under src/, innermost first. */
function srcFrames(stack: string): Frame[] {
  return stack.split('\n').flatMap((line) => {
    const match = /^\s+at (?:async )?(?:(.+?) \()?(?:file:\/\/)?([^()]+?):\d+:\d+\)?$/.exec(line);
    if (!match || !match[2]!.startsWith(srcDir)) return [];
    return [{ fn: match[1] ?? '<anonymous>', file: match[2]!.slice(srcDir.length) }];
  });
}

/** What the mailer was handed, with the call stack at that moment. */
async function stackAtSend(): Promise<Frame[]> {
  const stacks: string[] = [];
  const mailer = curator.mailer;
  const send = mailer.send.bind(mailer);
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Infinity;
  mailer.send = async (emails) => {
    stacks.push(new Error('send').stack ?? '');
    return send(emails);
  };
  try {
    const summary = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(summary).toMatchObject({ ok: true, status: 'succeeded' });
  } finally {
    mailer.send = send;
    Error.stackTraceLimit = limit;
  }
  expect(stacks).toHaveLength(1);
  return srcFrames(stacks[0]!);
}

describe('a digest email, from the handler to the mailer', () => {
  it('passes at most 12 frames of src/, each a named function, and never calls back into a file above it', async () => {
    const frames = await stackAtSend();
    const journey = frames.map((frame) => `${frame.file} ${frame.fn}`).reverse();
    // The journey ARCHITECTURE.md describes, outermost first. V8's async stack shows the functions that await; one
    // that returns its callee's promise (runJob, drive, the plan's act) passes it on without a frame of its own.
    expect(journey).toEqual([
      'handlers/curator.ts Object.handle [as handler]',
      'wiring/run-request.ts runRequest',
      'runner/jobs/scheduled-run.ts runPeriod',
      'runner/jobs/scheduled-run.ts walkPeriod',
      'runner/pages/drive.ts Walk.end',
      'runner/pages/drive.ts Walk.actOn',
      'runner/pages/page.ts actOnPage',
      'runner/effects/send-emails.ts sendEmails',
    ]);
    expect(frames.length).toBeLessThanOrEqual(12);
    expect(frames.filter((frame) => frame.fn === '<anonymous>' || frame.fn.includes('<anonymous>'))).toEqual([]);
    // A file that appears again after another one below it would be a call back into a caller (a closure handed down).
    const files = frames.map((frame) => frame.file).filter((file, index, all) => index === 0 || all[index - 1] !== file);
    expect(new Set(files).size).toBe(files.length);
  });
});
