/**
 * `npm run alarms`: writes the alarm table of runbooks/monitoring.md from the alarm catalog (src/metrics/alarms.ts).
 * `npm run alarms -- --check` only says whether it is up to date (exit 1 if not); a unit test checks the same.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAlarmTable, tableEnd, tableStart } from '../src/metrics/alarm-table.js';

const runbook = join(fileURLToPath(new URL('..', import.meta.url)), 'runbooks', 'monitoring.md');
const current = readFileSync(runbook, 'utf8');
const start = current.indexOf(tableStart);
const end = current.indexOf(tableEnd);
if (start < 0 || end < start) {
  console.error(`runbooks/monitoring.md has no alarm table markers: put ${tableStart} and ${tableEnd} where the table goes`);
  process.exit(2);
}
const updated = current.slice(0, start) + renderAlarmTable() + current.slice(end + tableEnd.length);
if (process.argv.includes('--check')) {
  if (updated !== current) {
    console.error('runbooks/monitoring.md: the alarm table is not what src/metrics/alarms.ts makes: run npm run alarms');
    process.exit(1);
  }
  console.log('runbooks/monitoring.md: the alarm table is up to date');
} else {
  writeFileSync(runbook, updated);
  console.log(updated === current ? 'runbooks/monitoring.md: the alarm table is unchanged' : 'wrote the alarm table of runbooks/monitoring.md');
}
