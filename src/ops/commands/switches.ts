import { parseSwitch, type SwitchState } from '../../curator/switches.js';
import { formatTable } from '../../format/table.js';
import { globalSwitchSlug, killSwitchPath, killSwitchSlugs, opsSummary, pipelines, ruleName, type RuleSlug } from '../../pipelines/index.js';
import { defineCommand, json } from '../command.js';
import { ExitCode } from '../errors.js';
import { readParameters } from '../parameters.js';
import { readRuleStates, type RuleState } from '../rules.js';

const replayHeld = 'vetoed KILL_SWITCH_ACTIVE, recorded (ops replay --veto-reason KILL_SWITCH_ACTIVE sends them later)';

/** What the curator does with a switch's pipelines when it is off, and when it cannot read it (DESIGN.md section 3). */
function effectOf(slug: string): { readonly whenOff: string; readonly whenUnreadable: string } {
  if (slug === globalSwitchSlug) {
    return {
      whenOff: `every pipeline ${replayHeld}; crisis alerts too`,
      whenUnreadable: 'every pipeline vetoed KILL_SWITCH_ACTIVE, except crisis alerts, which proceed',
    };
  }
  if (slug === opsSummary.slug) return { whenOff: 'the morning ops email is not sent (skipped)', whenUnreadable: 'sent: only false stops it' };
  const pipeline = Object.values(pipelines).find((candidate) => candidate.slug === slug)!;
  return {
    whenOff: replayHeld,
    whenUnreadable: pipeline.critical ? 'proceeds: a missed crisis alert is the worse failure' : 'vetoed KILL_SWITCH_ACTIVE',
  };
}

/** The rule that brings a switch's pipeline its requests: its schedule, or the realtime rule for a signal. */
function ruleOf(slug: string): RuleSlug | null {
  const pipeline = Object.values(pipelines).find((candidate) => candidate.slug === slug);
  return pipeline === undefined ? null : (pipeline.rule as RuleSlug);
}

const stateText = (state: SwitchState) => (state === 'on' ? 'ON' : state === 'off' ? 'OFF' : 'UNREADABLE');

/**
 * `switches`: every kill switch of the environment with its value, what the curator does with it off and when it
 * cannot read it, and the state of the rule that fires its pipeline. Exit 1 when a switch is missing or unreadable,
 * or a rule is disabled (or missing) while its switches are on: either way the curator does not do what the
 * switches say.
 */
export const switches = defineCommand({
  name: 'switches',
  group: 'look',
  words: '',
  help:
    'every kill switch of the environment: its value, what the curator does when it is off or unreadable, and the ' +
    'state of the rule that fires its pipeline; exit 1 when a switch is missing or unreadable, or a rule is ' +
    'disabled while its switches are on',
  options: { ...json },
  async run({ context, shown }) {
    const values = await readParameters(context);
    const ruleStates = await readRuleStates(context);
    const stateOf = (slug: string) => parseSwitch(values.get(killSwitchPath(context.env, slug)));
    const globalOn = stateOf(globalSwitchSlug) === 'on';
    const rows = killSwitchSlugs().map((slug) => {
      const rule = ruleOf(slug);
      const ruleState: RuleState | null = rule === null ? null : ruleStates[rule];
      return {
        slug,
        parameter: killSwitchPath(context.env, slug),
        value: values.get(killSwitchPath(context.env, slug)) ?? null,
        state: stateOf(slug),
        ...effectOf(slug),
        rule: rule === null ? null : ruleName(context.env, rule),
        ruleState,
      };
    });
    const problems = [
      ...rows.filter((row) => row.state === 'unknown').map((row) => `${row.parameter} is ${row.value === null ? 'missing' : `unreadable (${JSON.stringify(row.value)})`}: ${row.whenUnreadable}`),
      ...rows
        .filter((row) => row.ruleState !== null && row.ruleState !== 'ENABLED' && row.state === 'on' && globalOn)
        .map((row) => `${row.rule} is ${row.ruleState} while ${row.slug} is on: nothing fires it (npm run ops -- start-all --reason ...)`),
    ];
    const overrides = [...values.entries()].filter(([name]) => !name.endsWith('/enabled'));
    if (shown.json) {
      context.out(
        JSON.stringify(
          {
            environment: context.env,
            switches: rows.map((row) => ({ ...row, state: stateText(row.state), rule_state: row.ruleState, ruleState: undefined })),
            rules: ruleStates,
            overrides: Object.fromEntries(overrides),
            problems,
          },
          null,
          2,
        ),
      );
    } else {
      const table = rows.map((row) => [
        row.slug,
        row.value ?? '(missing)',
        stateText(row.state),
        row.whenOff,
        row.whenUnreadable,
        row.rule === null ? (row.slug === opsSummary.slug ? `${opsSummary.slug} schedule (EventBridge Scheduler)` : '') : `${row.rule}: ${row.ruleState}`,
      ]);
      for (const line of formatTable(['switch', 'value', 'state', 'when off', 'when unreadable', 'rule'], table)) context.out(line);
      context.out(`parameters under ${killSwitchPath(context.env, '<switch>')}`);
      if (overrides.length > 0) {
        context.out('');
        context.out('overrides in force:');
        for (const [name, value] of overrides) context.out(`  ${name} = ${value}`);
      }
      if (problems.length > 0) {
        context.out('');
        context.out('NOT AS THE SWITCHES SAY:');
        for (const problem of problems) context.out(`  ${problem}`);
      }
    }
    return problems.length > 0 ? ExitCode.failed : ExitCode.ok;
  },
});
