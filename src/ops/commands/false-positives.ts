import { storeFunctions } from '../../store/functions.js';
import { falsePositiveHeader, falsePositiveRows, falsePositiveWindowDays } from '../../ops-summary/false-positives.js';
import { formatTable, when } from '../../format/table.js';
import { defineCommand, json } from '../command.js';
import { ExitCode, explain } from '../errors.js';
import { parseSince } from '../look.js';

/** `false-positives [--since 30d]`: the rate per alert pipeline over the window, as the monthly review reads it. */
export const falsePositives = defineCommand({
  name: 'false-positives',
  group: 'look',
  words: '',
  help: 'the crisis and early-intervention alerts sent, and the share marked false',
  options: { since: { type: 'string', value: `${falsePositiveWindowDays}d`, help: 'how far back: minutes, hours or days' }, ...json },
  async run({ context, options, shown }) {
    const sinceMs = parseSince(options.since ?? `${falsePositiveWindowDays}d`);
    const store = await context.store();
    const until = context.clock.now();
    const since = new Date(until.getTime() - sinceMs);
    let rates;
    try {
      rates = await store.call(storeFunctions.falsePositiveRates, { since, until });
    } catch (error) {
      throw explain(error, 'reading the false-positive rates');
    }
    if (shown.json) {
      context.out(JSON.stringify({ since: since.toISOString(), until: until.toISOString(), rates }, null, 2));
      return ExitCode.ok;
    }
    context.out(`false positives of alerts sent since ${when(since)}`);
    for (const line of formatTable(falsePositiveHeader, falsePositiveRows(rates))) context.out(line);
    return ExitCode.ok;
  },
});
