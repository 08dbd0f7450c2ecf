import type { EmailFacts } from '../../src/curator/caps.js';
import type { EmailPolicyJson } from '../../src/curator/policy.js';
import type { SqlClient } from '../../src/db/sql-client.js';

interface EmailFactsRow {
  user_id: string;
  opted_out: boolean;
  suppressed: boolean;
  type_count: number;
  non_critical_counts: number[];
}

/**
 * The email facts of many users in one round trip (`email_cap_facts`, which the candidate functions call inside
 * SQL), keyed by user id: the tests' way to check that function against the design's counts.
 *
 * @example
 * const facts = await loadEmailFacts(sql, pageOfUserIds, 'daily_digest', emailPolicyJson(policy), startedAt);
 */
export async function loadEmailFacts(
  sql: SqlClient,
  userIds: readonly string[],
  emailType: string,
  policy: EmailPolicyJson,
  at: Date,
  excludeExecutionIds: readonly string[] = [],
): Promise<Map<string, EmailFacts>> {
  const rows = await sql.query<EmailFactsRow>(
    'select * from email_cap_facts($1::uuid[], $2, $3::jsonb, $4, $5::uuid[])',
    [userIds, emailType, JSON.stringify(policy), at, excludeExecutionIds],
  );
  return new Map(
    rows.map((row) => [
      row.user_id,
      {
        optedOut: row.opted_out,
        suppressed: row.suppressed,
        typeCount: row.type_count,
        nonCriticalCounts: row.non_critical_counts,
      },
    ]),
  );
}
