import type { SqlClient } from '../../src/db/sql-client.js';

/** Inserts users with generated addresses and returns their ids in order. */
export async function insertUsers(
  sql: SqlClient,
  count: number,
  options: { withStripe?: boolean; prefix?: string } = {},
): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `insert into users (email, first_name, stripe_customer_id)
     select $2 || '-' || n || '@example.test', 'Parent ' || n, case when $3 then 'cus_' || n end
     from generate_series(1, $1::int) as n
     returning id`,
    [count, options.prefix ?? 'parent', options.withStripe ?? true],
  );
  return rows.map((row) => row.id);
}

/** Inserts one email log row for a user, `hoursAgo` before `at`. */
export async function insertEmail(
  sql: SqlClient,
  row: { userId: string; emailType: string; status: string; at: Date; hoursAgo: number },
): Promise<void> {
  await sql.query(
    `insert into email_delivery_log (user_id, email_type, status, queued_at, sent_at, created_at)
     values ($1, $2, $3, $4::timestamptz - $5 * interval '1 hour',
             case when $3 in ('queued', 'failed') then null else $4::timestamptz - $5 * interval '1 hour' end,
             $4::timestamptz - $5 * interval '1 hour')`,
    [row.userId, row.emailType, row.status, row.at, row.hoursAgo],
  );
}
