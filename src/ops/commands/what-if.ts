import { whatIfDays } from '../../requests/request-contract.js';
import { defineCommand, json } from '../command.js';
import { ExitCode } from '../errors.js';
import { askWhatIf, parseDays, printWhatIf, proposalOf } from '../what-if.js';

/** The `--days` option of what-if and tune. */
export const daysOption = {
  days: { type: 'string', value: String(whatIfDays.default), help: `the what-if window in whole days, ending now (${whatIfDays.min} to ${whatIfDays.max})` },
} as const;

/** `what-if <slug|all> name=value[,…] [--days 7]`: what the change would have done; changes nothing. */
export const whatIf = defineCommand({
  name: 'what-if',
  group: 'look',
  words: '<slug|all> name=value[,name=value]',
  help:
    'what a threshold or cap change would have done: the recorded decisions of the last days made again under it, ' +
    'per pipeline and day (changes nothing; the report is kept in what_if_reports). Runs in the deployed curator, ' +
    'where the data is',
  options: { ...daysOption, ...json },
  async run({ context, args, options, shown }) {
    const [scope, ...assignments] = args;
    const days = parseDays(options.days);
    const proposal = proposalOf(scope, assignments);
    const { report, reportId } = await askWhatIf(context, scope!, proposal, days);
    if (shown.json) context.out(JSON.stringify({ reportId, ...report }, null, 2));
    else printWhatIf(context, report, reportId);
    return ExitCode.ok;
  },
});
