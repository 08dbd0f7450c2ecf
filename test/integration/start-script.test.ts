import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `npm start` as a person runs it, in a folder of its own so its `.local/` is the test's. */
const script = new URL('../../scripts/start.ts', import.meta.url).pathname;
const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
let cwd: string;

async function start(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, [script, ...args], { cwd, env: { ...process.env, DATABASE_URL: '' }, maxBuffer: 20_000_000 });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout, err: failed.stderr };
  }
}

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'npm-start-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('npm start', () => {
  it('answers --help with the usage, and a bad flag with the usage and exit 2, before any work', async () => {
    expect(await start('--help')).toMatchObject({ code: 0, out: expect.stringMatching(/^usage: npm start -- \[options\]/) });
    const bad = await start('--bogus');
    expect(bad).toMatchObject({ code: 2, err: expect.stringMatching(/npm start: Unknown option '--bogus'[\s\S]*usage: npm start/) });
    expect(bad.err).not.toMatch(/at .*\.ts:\d+/);
    const realtime = await start('--job', 'crisis_alert');
    expect(realtime).toMatchObject({ code: 2, err: expect.stringMatching(/--job crisis_alert: it is realtime/) });
    for (const [args, message] of [
      [['--start', '2026-02-30'], '--start must be a calendar date like 2026-11-28, got 2026-02-30'],
      [['--users', '0x200'], '--users: must be a whole number from 100 to 200000, got "0x200"'],
      [['--days', '1e1'], '--days: must be a whole number from 1 to 60, got "1e1"'],
    ] as const) {
      const refused = await start(...args);
      expect(refused).toMatchObject({ code: 2, err: expect.stringContaining(message) });
    }
    expect(existsSync(join(cwd, '.local'))).toBe(false);
  });

  it('exits 1 when the health job finds the system unhealthy', async () => {
    // A database that has not run the jobs the schedule expected: missed runs.
    const health = await start('--job', 'health', '--users', '150', '--days', '1', '--quiet');
    expect(health.code).toBe(1);
    expect(health.out).toMatch(/"status": "failed"/);
  });

  it('keeps each run in a folder of its own: a dry run deletes nothing of the real run before it', async () => {
    const real = await start('--job', 'daily_digest', '--users', '150', '--days', '2', '--quiet');
    expect(real.code).toBe(0);
    const first = readdirSync(join(cwd, '.local', 'runs')).find((run) => run.endsWith('-daily_digest'));
    const sent = readdirSync(join(cwd, '.local', 'runs', first!, 'outbox'));
    expect(sent.length).toBeGreaterThan(0);
    // Log lines carry the simulated time: the job runs two days after the two simulated days end (1 December).
    const line = JSON.parse(readFileSync(join(cwd, '.local', 'runs', first!, 'curator.log'), 'utf8').split('\n')[0]!) as { timestamp: string };
    expect(line.timestamp.slice(0, 10)).toBe('2026-12-01');

    const dry = await start('--job', 'daily_digest', '--dry-run', '--users', '150', '--days', '2', '--quiet');
    expect(dry.code).toBe(0);
    expect(readdirSync(join(cwd, '.local', 'runs')).filter((run) => run.endsWith('daily_digest-dry-run'))).toHaveLength(1);
    expect(readdirSync(join(cwd, '.local', 'runs', first!, 'outbox'))).toEqual(sent);
    // One table, not two JSON documents: its own database has no real run to compare with.
    expect(dry.out).toMatch(/^dry run of daily_digest 2026-11-30: nothing written or sent\ncompared with no real run of this job yet\noutcome\s+dry run\s+real run\s+difference$/m);
  });

  it('shows a dry run beside the real run of the previous period when its own never ran, and the difference', async () => {
    const kept = join(cwd, 'kept-db');
    expect((await start('--job', 'daily_digest', '--users', '150', '--days', '2', '--data-dir', kept, '--quiet')).code).toBe(0);
    // One day later: the next period, which has not run.
    const dry = await start('--job', 'daily_digest', '--dry-run', '--days', '3', '--data-dir', kept, '--quiet');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('compared with no real run of this period yet: the last real run of the previous period, 2026-11-30 (succeeded)');
    expect(dry.out).toMatch(/^decided\s+\d+\s+\d+\s+[+-]?\d+$/m);
  });
});
