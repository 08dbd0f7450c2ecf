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
    expect(existsSync(join(cwd, '.local'))).toBe(false);
  });

  it('keeps each run in a folder of its own: a dry run deletes nothing of the real run before it', async () => {
    const real = await start('--job', 'daily_digest', '--users', '150', '--days', '2', '--quiet');
    expect(real.code).toBe(0);
    const [first] = readdirSync(join(cwd, '.local', 'runs'));
    const sent = readdirSync(join(cwd, '.local', 'runs', first!, 'outbox'));
    expect(sent.length).toBeGreaterThan(0);
    // Log lines carry the simulated time: the job runs two days after the two simulated days end (1 December).
    const line = JSON.parse(readFileSync(join(cwd, '.local', 'runs', first!, 'curator.log'), 'utf8').split('\n')[0]!) as { timestamp: string };
    expect(line.timestamp.slice(0, 10)).toBe('2026-12-01');

    const dry = await start('--job', 'daily_digest', '--dry-run', '--users', '150', '--days', '2', '--quiet');
    expect(dry.code).toBe(0);
    expect(readdirSync(join(cwd, '.local', 'runs'))).toHaveLength(2);
    expect(readdirSync(join(cwd, '.local', 'runs', first!, 'outbox'))).toEqual(sent);
  });
});
