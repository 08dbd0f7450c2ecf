import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, listMigrations } from '../../src/db/migrate.js';
import { jobTypes, pipelineOf } from '../../src/pipelines/index.js';
import { vetoReasonsInOrder } from '../../src/curator/index.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { insertUsers } from '../support/seed.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const execution = (overrides: Record<string, unknown> = {}) => ({
  pipeline_type: 'daily_digest',
  pipeline_name: 'daily-digest',
  subject_key: 'subject-1',
  period_key: '2026-11-22',
  status: 'pending',
  vetoed: false,
  veto_reason: null,
  completed_at: null,
  ...overrides,
});

async function insertExecution(row: Record<string, unknown>) {
  const columns = Object.keys(row);
  await db.sql.query(
    `insert into pipeline_executions (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
    Object.values(row),
  );
}

describe('the migrations', () => {
  it('are named as the Supabase CLI names them and recorded in the curator\'s own history, not the app\'s', async () => {
    const files = await listMigrations();
    expect(files.length).toBeGreaterThanOrEqual(1);
    const recorded = await db.sql.query<{ version: string }>('select version from public.curator_migrations order by version');
    expect(recorded.map((row) => row.version)).toEqual(files.map((file) => file.version));
    const [cli] = await db.sql.query<{ present: boolean }>(`select to_regclass('supabase_migrations.schema_migrations') is not null as present`);
    expect(cli!.present).toBe(false);
  });

  it('apply nothing twice', async () => {
    expect(await applyMigrations(db.sql)).toEqual([]);
  });

  it('create every table of DESIGN.md section 4 and its archives', async () => {
    const tables = await db.sql.query<{ tablename: string }>(
      "select tablename from pg_tables where schemaname = 'public' order by tablename",
    );
    expect(tables.map((row) => row.tablename)).toEqual(
      expect.arrayContaining([
        'pipeline_runs',
        'pipeline_executions',
        'pipeline_executions_archive',
        'email_delivery_log',
        'email_delivery_log_archive',
        'reward_ledger',
        'referral_tracking',
        'email_suppressions',
        'human_overrides',
        'consumption_metrics',
        'story_effectiveness',
        'users',
        'email_preferences',
        'organizations',
        'organization_members',
        'legal_holds',
      ]),
    );
  });
});

describe('the constraints', () => {
  it('record an action once per (pipeline, subject, period)', async () => {
    await insertExecution(execution({ subject_key: 'once' }));
    await expect(insertExecution(execution({ subject_key: 'once' }))).rejects.toThrow(/pipeline_executions_once/);
    await insertExecution(execution({ subject_key: 'once', period_key: '2026-11-23' }));
  });

  it('let a claim skip a duplicate in one multi-row statement', async () => {
    const claimed = await db.sql.query(
      `insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key)
       values ('daily_digest', 'daily-digest', 'claim-a', 'p'), ('daily_digest', 'daily-digest', 'claim-b', 'p')
       on conflict on constraint pipeline_executions_once do nothing returning subject_key`,
    );
    const again = await db.sql.query(
      `insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key)
       values ('daily_digest', 'daily-digest', 'claim-b', 'p'), ('daily_digest', 'daily-digest', 'claim-c', 'p')
       on conflict on constraint pipeline_executions_once do nothing returning subject_key`,
    );
    expect(claimed).toHaveLength(2);
    expect(again).toEqual([{ subject_key: 'claim-c' }]);
  });

  it('hold a run once per (job, period)', async () => {
    const run = `insert into pipeline_runs (job_type, period_key, trigger, lease_owner, lease_expires_at)
                 values ('daily_digest', '2026-11-22', 'schedule', 'a', now() + interval '5 minutes')`;
    await db.sql.query(run);
    await expect(db.sql.query(run)).rejects.toThrow(/pipeline_runs_once/);
  });

  it('reject a status outside the documented set', async () => {
    await expect(insertExecution(execution({ subject_key: 'bad', status: 'done' }))).rejects.toThrow(/check/i);
    const [user] = await insertUsers(db.sql, 1, { prefix: 'status' });
    await expect(
      db.sql.query(`insert into email_delivery_log (user_id, email_type, status) values ($1, 'daily_digest', 'read')`, [user]),
    ).rejects.toThrow(/check/i);
  });

  it('require a veto reason exactly when vetoed, from the nine reasons, and a time to go exactly for a quiet-hours hold', async () => {
    const done = { status: 'vetoed', vetoed: true, completed_at: new Date() };
    const heldUntil = new Date('2026-11-23T02:30:00Z');
    for (const reason of vetoReasonsInOrder) {
      await insertExecution(execution({ ...done, subject_key: `veto-${reason}`, veto_reason: reason, ...(reason === 'QUIET_HOURS' ? { held_until: heldUntil } : {}) }));
    }
    expect(vetoReasonsInOrder).toHaveLength(9);
    await expect(insertExecution(execution({ ...done, subject_key: 'q1', veto_reason: 'QUIET_HOURS' }))).rejects.toThrow(/held_until/);
    await expect(insertExecution(execution({ ...done, subject_key: 'q2', veto_reason: 'FREQUENCY_CAP', held_until: heldUntil }))).rejects.toThrow(/held_until/);
    // Superseded: no longer a veto, and it keeps the time it was held until.
    await insertExecution(execution({ subject_key: 'q3', status: 'superseded', completed_at: new Date(), held_until: heldUntil }));
    await expect(insertExecution(execution({ ...done, subject_key: 'v1', veto_reason: 'BORED' }))).rejects.toThrow(/check/i);
    await expect(insertExecution(execution({ ...done, subject_key: 'v2', veto_reason: null }))).rejects.toThrow(/check/i);
    await expect(
      insertExecution(execution({ subject_key: 'v3', status: 'succeeded', veto_reason: 'LOW_CONFIDENCE', completed_at: new Date() })),
    ).rejects.toThrow(/check/i);
    // A crisis alert that missed its SLA is vetoed and escalated at once.
    await insertExecution(
      execution({ ...done, pipeline_type: 'crisis_alert', subject_key: 'v4', status: 'escalated', veto_reason: 'SLA_MISSED' }),
    );
  });

  it('accept every jobType of the catalog and nothing else', async () => {
    for (const jobType of jobTypes) {
      await insertExecution(execution({ pipeline_type: jobType, pipeline_name: pipelineOf(jobType).slug, subject_key: `jt-${jobType}` }));
    }
    await expect(insertExecution(execution({ pipeline_type: 'weekly_digest', subject_key: 'jt-x' }))).rejects.toThrow(/check/i);
  });

  it('accept every email type of the catalog in the delivery log and the preferences', async () => {
    const [user] = await insertUsers(db.sql, 1, { prefix: 'types' });
    for (const jobType of jobTypes) {
      const { emailType } = pipelineOf(jobType);
      if (emailType === null) continue;
      await db.sql.query(`insert into email_delivery_log (user_id, email_type) values ($1, $2)`, [user, emailType]);
      await db.sql.query(`insert into email_preferences (user_id, email_type, enabled) values ($1, $2, true)`, [user, emailType]);
    }
  });

  it('pay a referral, milestone or ticket once, credits positive and reversals negative', async () => {
    const [user] = await insertUsers(db.sql, 1, { prefix: 'ledger' });
    const credit = `insert into reward_ledger (user_id, amount, source, reference_key) values ($1, $2, $3, $4)`;
    await db.sql.query(credit, [user, 1000, 'referral', 'referral-1']);
    await expect(db.sql.query(credit, [user, 1000, 'referral', 'referral-1'])).rejects.toThrow(/reward_ledger_once/);
    await expect(db.sql.query(credit, [user, -1000, 'referral', 'referral-2'])).rejects.toThrow(/reward_ledger_sign/);
    await expect(db.sql.query(credit, [user, 500, 'expiry', 'expiry-1'])).rejects.toThrow(/reward_ledger_sign/);
    await db.sql.query(credit, [user, -500, 'expiry', 'expiry-1']);
  });

  it('store addresses normalised so suppressions match them', async () => {
    await expect(db.sql.query(`insert into users (email) values ('Parent@Example.test')`)).rejects.toThrow(/users_email_normalised/);
    await expect(db.sql.query(`insert into email_suppressions (email, reason) values ('A@b.test', 'bounce')`)).rejects.toThrow(/check/i);
  });
});
