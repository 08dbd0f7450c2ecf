import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/adapters/clock.js';
import { runOps } from '../../src/ops/cli.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { insertUsers } from '../support/seed.js';

const at = new Date('2026-12-07T09:00:00Z');

let db: TestDatabase;
let family: string;

beforeAll(async () => {
  db = await openTestDatabase();
  [family] = (await insertUsers(db.sql, 1, { prefix: 'zoned' })) as [string];
});
afterAll(async () => {
  await db?.close();
});

const setZone = (zone: string | null, start: string | null = null, end: string | null = null, user = family) =>
  db.sql.query<{ outcome: Record<string, unknown> }>(`select curator_set_family_time_zone($1, $2, $3, $4, $5) as outcome`, [user, zone, start, end, at]);

const stored = () =>
  db.sql.query<{ time_zone: string; quiet_start: string | null; quiet_end: string | null }>(
    `select time_zone, to_char(quiet_start, 'HH24:MI') as quiet_start, to_char(quiet_end, 'HH24:MI') as quiet_end
     from family_time_zones where user_id = $1`,
    [family],
  );

/** The message Postgres raised, or fails when the call was accepted. */
async function refusal(zone: string | null, start: string | null = null, end: string | null = null, user = family): Promise<string> {
  try {
    await setZone(zone, start, end, user);
  } catch (error) {
    expect((error as { code?: string }).code).toBe('22023');
    return (error as Error).message;
  }
  throw new Error(`curator_set_family_time_zone accepted ${String(zone)} ${String(start)}-${String(end)}`);
}

describe('where a family is: curator_set_family_time_zone, as the app backend calls it', () => {
  it('stores an IANA zone with the family\'s own window, replaces it, and removes it with a null zone', async () => {
    const [set] = await setZone(' Asia/Kolkata ', '21:30', '07:00');
    expect(set!.outcome).toMatchObject({ outcome: 'set', time_zone: 'Asia/Kolkata', quiet_start: '21:30', quiet_end: '07:00' });
    expect(await stored()).toEqual([{ time_zone: 'Asia/Kolkata', quiet_start: '21:30', quiet_end: '07:00' }]);

    // Without a window the family keeps the environment's default one.
    await setZone('Australia/Sydney');
    expect(await stored()).toEqual([{ time_zone: 'Australia/Sydney', quiet_start: null, quiet_end: null }]);

    const [removed] = await setZone(null);
    expect(removed!.outcome).toMatchObject({ outcome: 'removed' });
    expect(await stored()).toEqual([]);
  });

  it('refuses a POSIX offset by name, whichever way it is written, since Postgres reads its sign inverted', async () => {
    for (const zone of ['UTC+5', 'GMT-3', 'Etc/GMT+5', '+05:30']) {
      expect(await refusal(zone)).toMatch(/^time_zone: .* is a POSIX offset, which Postgres reads with the sign inverted/);
    }
  });

  it('refuses abbreviations, names that are not Area/Location, and names Postgres does not know, suggesting the right case', async () => {
    for (const zone of ['EST', 'IST', 'pst']) expect(await refusal(zone)).toMatch(/^time_zone: .* is an abbreviation/);
    for (const zone of ['Kolkata', 'posix/Asia/Kolkata', 'New York']) expect(await refusal(zone)).toMatch(/is not an Area\/Location name/);
    expect(await refusal('Europe/Atlantis')).toBe(`time_zone: 'Europe/Atlantis' is not a time zone Postgres knows (pg_timezone_names)`);
    expect(await refusal('asia/kolkata')).toMatch(/did you mean Asia\/Kolkata\?$/);
    expect(await stored()).toEqual([]);
  });

  it('refuses a window that is not two HH:MM times, and an unknown user, writing nothing', async () => {
    expect(await refusal('Europe/London', '22:00', null)).toMatch(/^quiet_start, quiet_end: give both/);
    expect(await refusal('Europe/London', '24:00', '07:00')).toMatch(/^quiet_start: must be HH:MM/);
    expect(await refusal('Europe/London', '22:00', '7am')).toMatch(/^quiet_end: must be HH:MM/);
    expect(await refusal('Europe/London', '22:00', '07:00', '00000000-0000-4000-8000-00000000dead')).toMatch(/^user_id: no user/);
    expect(await stored()).toEqual([]);
  });

  it('takes UTC itself, and a window whose start equals its end (none)', async () => {
    await setZone('UTC', '08:00', '08:00');
    expect(await stored()).toEqual([{ time_zone: 'UTC', quiet_start: '08:00', quiet_end: '08:00' }]);
    await setZone(null);
  });
});

async function opsFamily(...extra: string[]) {
  const out: string[] = [];
  // 09:00 UTC: 14:30 in Mumbai, 04:00 in New York.
  const code = await runOps(['family', family, ...extra, '--env', 'staging'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }, {
    out: (line) => out.push(line),
    err: () => undefined,
    sql: db.sql,
    clock: manualClock(at),
  });
  expect(code).toBe(0);
  return out.join('\n');
}

describe('ops family says where the family is', () => {
  it('shows its zone, its clock, its window (its own or the default) and whether it is inside it now', async () => {
    expect(await opsFamily()).toContain('time zone: not set by the app (no quiet hours; emails go when their pipeline fires)');

    await setZone('America/New_York');
    expect(await opsFamily()).toContain('time zone: America/New_York, 07/12/2026, 04:00 there now; quiet hours 21:00-08:00 local (the default), inside them now, until 2026-12-07 13:00:00 UTC');

    await setZone('Asia/Kolkata', '21:30', '07:00');
    expect(await opsFamily()).toContain("time zone: Asia/Kolkata, 07/12/2026, 14:30 there now; quiet hours 21:30-07:00 local (the family's own), outside them now");
    const json = JSON.parse(await opsFamily('--json')) as { time_zone: unknown };
    expect(json.time_zone).toEqual({ time_zone: 'Asia/Kolkata', quiet_hours: '21:30-07:00', quiet_hours_source: 'family', local_time: '07/12/2026, 14:30', quiet_until: null });
    await setZone(null);
  });

  it('says so, rather than failing, when a row written by hand names a zone its clock does not know', async () => {
    await db.sql.query(`insert into family_time_zones (user_id, time_zone, updated_at) values ($1, 'Mars/Olympus', $2)`, [family, at]);
    expect(await opsFamily()).toContain("time zone: Mars/Olympus, which this curator's time zone data does not know: no quiet hours kept");
    await setZone(null);
  });
});
