import { DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { nameIn, pageTestAlarmName, topicOf } from '../../metrics/alarms.js';
import { defineCommand, json } from '../command.js';
import { ExitCode, explain, OpsError } from '../errors.js';
import { routeOf, severityOf } from '../page-test.js';

/**
 * `page-test --severity P1|P2|P3`: sets `storytailor-page-test-{severity}` to ALARM and back to OK, so CloudWatch
 * sends a real alarm payload (and its resolution) down the severity's path: its topic, then PagerDuty or Slack. Says
 * which topic and route that is; the person on the other end confirms it arrived.
 */
export const pageTest = defineCommand({
  name: 'page-test',
  group: 'act',
  words: '--severity P1|P2|P3',
  help:
    "set storytailor-page-test-{severity} to ALARM and back: a real alarm down that severity's path (its topic, " +
    'then PagerDuty or Slack); prints the topic and route. Run it after every deploy (exit 1 when the severity has ' +
    'no route)',
  options: { severity: { type: 'string', value: 'P1|P2|P3', help: 'which path to test (required)' }, ...json },
  async run({ context, options, who, shown }) {
    const severity = severityOf(options.severity);
    const cloudwatch = context.cloudwatch();
    const actor = who.actor;
    const name = nameIn(context.env, pageTestAlarmName(severity));
    const routes = context.settings().alertRoutes;
    let topics: string[];
    try {
      const described = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
      const alarm = described.MetricAlarms?.[0];
      if (alarm === undefined) throw new OpsError(ExitCode.failed, `no alarm ${name} in ${context.env}: deploy the stack first`);
      topics = alarm.AlarmActions ?? [];
      const reason = `ops page-test by ${actor}: a test of the ${severity} route, not an incident`;
      await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: reason }));
      await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: `${reason}; resolved` }));
    } catch (error) {
      throw explain(error, `setting ${name}`);
    }
    const answer = { alarm: name, severity, topic: topicOf(severity), topicArns: topics, route: routeOf(severity, routes) };
    if (shown.json) context.out(JSON.stringify(answer, null, 2));
    else {
      context.out(`${name}: ALARM, then OK`);
      context.out(`  topic: ${topics.join(', ') || '(the alarm notifies no topic!)'}`);
      context.out(`  route: ${answer.route}`);
      context.out('Ask whoever is on that route to confirm the alarm arrived and resolved (runbooks/monitoring.md, "Testing the path").');
    }
    return topics.length === 0 || answer.route.startsWith('NO ROUTE') ? ExitCode.failed : ExitCode.ok;
  },
});
