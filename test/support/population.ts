import type { SqlClient } from '../../src/db/sql-client.js';

/** The kinds of family the digest tests need, by how their period looks. */
export interface DigestPopulation {
  readonly engaged: string[];
  readonly idle: string[];
  readonly lukewarm: string[];
  readonly optedOut: string[];
  readonly suppressed: string[];
  readonly inactive: string[];
}

/**
 * Seeds families for a daily digest firing at `firing`: engaged readers (completed stories in the day before),
 * idle ones (nothing), lukewarm ones (started but never finished: low confidence), engaged ones who opted out
 * or whose address is suppressed, and inactive accounts (never candidates). Set-based: one statement per kind.
 */
export async function seedDigestPopulation(
  sql: SqlClient,
  firing: Date,
  counts: Partial<Record<keyof DigestPopulation, number>> = {},
): Promise<DigestPopulation> {
  const n = { engaged: 20, idle: 5, lukewarm: 4, optedOut: 3, suppressed: 2, inactive: 2, ...counts };
  const [story] = await sql.query<{ id: string }>(`insert into stories (title) values ('The lighthouse keeper') returning id`);
  const make = async (kind: string, count: number, active = true) =>
    (
      await sql.query<{ id: string }>(
        `insert into users (email, first_name, stripe_customer_id, is_active)
         select $1 || '-' || g || '-' || substr(md5(random()::text), 1, 8) || '@families.test', 'Parent', 'cus_' || $1 || g, $3
         from generate_series(1, $2::int) g returning id`,
        [kind, count, active],
      )
    ).map((row) => row.id);
  const population: DigestPopulation = {
    engaged: await make('engaged', n.engaged),
    idle: await make('idle', n.idle),
    lukewarm: await make('lukewarm', n.lukewarm),
    optedOut: await make('optedout', n.optedOut),
    suppressed: await make('suppressed', n.suppressed),
    inactive: await make('inactive', n.inactive, false),
  };
  const read = async (users: string[], type: string) =>
    sql.query(
      `insert into consumption_metrics (user_id, story_id, event_type, occurred_at)
       select u, $2, $3, $4::timestamptz - interval '3 hours' from unnest($1::uuid[]) u`,
      [users, story!.id, type, firing],
    );
  await read([...population.engaged, ...population.optedOut, ...population.suppressed, ...population.inactive], 'completed');
  await read(population.lukewarm, 'started');
  await sql.query(`insert into email_preferences (user_id, email_type, enabled) select u, 'daily_digest', false from unnest($1::uuid[]) u`, [
    population.optedOut,
  ]);
  await sql.query(`insert into email_suppressions (email, reason, user_id) select email, 'bounce', id from users where id = any($1::uuid[])`, [
    population.suppressed,
  ]);
  return population;
}

/** Each candidate's execution rows for a pipeline and period: exactly one each when all is well. */
export async function executionsBySubject(sql: SqlClient, jobType: string, periodKey: string) {
  return sql.query<{ subject_key: string; n: number; status: string; veto_reason: string | null }>(
    `select subject_key, count(*)::int as n, min(status) as status, min(veto_reason) as veto_reason
     from pipeline_executions where pipeline_type = $1 and period_key = $2 group by subject_key`,
    [jobType, periodKey],
  );
}
