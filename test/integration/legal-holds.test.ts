import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/adapters/clock.js';
import { runOps } from '../../src/ops/cli.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { insertUsers } from '../support/seed.js';

let db: TestDatabase;
let held: string;
let free: string;
const clock = manualClock(new Date('2026-12-07T10:00:00Z'));

beforeAll(async () => {
  db = await openTestDatabase();
  [held, free] = (await insertUsers(db.sql, 2, { prefix: 'litigation' })) as [string, string];
  // A digest a day for 100 days for both families: 9 of them older than the 90 days data retention keeps.
  await db.sql.query(
    `with executions as (
       insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, completed_at, created_at)
       select 'daily_digest', 'daily-digest', u.user_id::text, 'p' || n, u.user_id, 'succeeded', $2::timestamptz, $2::timestamptz - (n || ' days')::interval + interval '1 hour'
       from unnest($1::uuid[]) as u(user_id), generate_series(85, 99) as n
       returning id, user_id, created_at)
     insert into email_delivery_log (execution_id, user_id, email_type, status, sent_at, created_at)
     select id, user_id, 'daily_digest', 'delivered', created_at, created_at from executions`,
    [[held, free], clock.now()],
  );
});
afterAll(async () => {
  await db?.close();
});

async function ops(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  // No AWS here: `family` says SSM is unreadable and shows the caps with their defaults.
  const code = await runOps([...args, '--env', 'staging', '--actor', 'dana'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    sql: db.sql,
    clock,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const overrides = () =>
  db.sql.query<{ override_type: string; pipeline_type: string; actor: string; reason: string; ticket: string | null }>(
    `select override_type, pipeline_type, actor, reason, ticket from human_overrides where override_type like 'legal_hold%' order by seq`,
  );
const kept = async (user: string) =>
  (await db.sql.query<{ n: number }>(`select count(*)::int as n from pipeline_executions where user_id = $1`, [user]))[0]!.n;

describe('legal holds', () => {
  it('are refused by name when the family, the reason or the ticket is missing, writing nothing', async () => {
    expect(await ops('hold', 'not-a-uuid', '--reason', 'x', '--ticket', 'LEGAL-1')).toMatchObject({ code: 2, err: expect.stringContaining('a family is its user id (a uuid), got not-a-uuid') });
    expect(await ops('hold', held, '--reason', 'subpoena')).toMatchObject({ code: 2, err: expect.stringContaining('--ticket is required') });
    expect(await ops('hold', held, '--ticket', 'LEGAL-1')).toMatchObject({ code: 2, err: expect.stringContaining('--reason is required') });
    expect(await ops('release', held, '--reason', 'x')).toMatchObject({ code: 1, err: expect.stringContaining('is not on legal hold; nothing written') });
    expect(await overrides()).toEqual([]);
  });

  it('are placed, shown and listed, kept by data retention, then released, each recorded', async () => {
    const placed = await ops('hold', held, '--reason', 'subpoena in Doe v. Storytailor', '--ticket', 'LEGAL-12');
    expect(placed.code).toBe(0);
    expect(placed.out).toMatch(new RegExp(`^${held} on legal hold since 2026-12-07 10:00:00 UTC \\(LEGAL-12\\)`));
    expect((await ops('hold', held, '--reason', 'again', '--ticket', 'LEGAL-13'))).toMatchObject({ code: 1, err: expect.stringContaining('is already on legal hold since') });

    const listed = await ops('holds');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`^${held}\\s+2026-12-07 10:00:00\\s+in force\\s+LEGAL-12\\s+dana\\s+subpoena in Doe v. Storytailor$`, 'm'));
    expect((await ops('family', held)).out).toContain('legal hold: IN FORCE since 2026-12-07 10:00:00 UTC, placed by dana: subpoena in Doe v. Storytailor');
    expect((await ops('family', free)).out).toContain('legal hold: none');

    // Data retention archives the free family's nine old digests and keeps all fifteen of the held family's.
    await db.sql.query(`select * from archive_expired_records($1::timestamptz - interval '90 days', 1000)`, [clock.now()]);
    expect(await kept(free)).toBe(6);
    expect(await kept(held)).toBe(15);

    clock.set(new Date('2026-12-08T09:30:00Z'));
    const released = await ops('release', held, '--reason', 'case settled', '--ticket', 'LEGAL-12');
    expect(released).toMatchObject({ code: 0, out: expect.stringContaining('released from legal hold at 2026-12-08 09:30:00 UTC') });
    expect((await ops('holds')).out).toBe('no legal hold in force');
    expect((await ops('holds', '--released')).out).toMatch(/released 2026-12-08 09:30:00\s+LEGAL-12/);
    expect((await ops('family', held)).out).toContain('legal hold: released 2026-12-08 09:30:00 UTC (placed 2026-12-07 10:00:00 by dana)');
    await db.sql.query(`select * from archive_expired_records($1::timestamptz - interval '90 days', 1000)`, [clock.now()]);
    expect(await kept(held)).toBe(5);

    expect(await overrides()).toEqual([
      { override_type: 'legal_hold', pipeline_type: 'data_retention', actor: 'dana', reason: 'subpoena in Doe v. Storytailor', ticket: 'LEGAL-12' },
      { override_type: 'legal_hold_release', pipeline_type: 'data_retention', actor: 'dana', reason: 'case settled', ticket: 'LEGAL-12' },
    ]);
    const json = JSON.parse((await ops('holds', '--released', '--json')).out) as Array<Record<string, unknown>>;
    expect(json).toEqual([expect.objectContaining({ user_id: held, ticket: 'LEGAL-12', known_user: true, released_at: expect.any(String) })]);
  });
});
