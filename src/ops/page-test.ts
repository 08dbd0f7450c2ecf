import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { nameIn, pageTestAlarmName, severities, topicOf, type Severity } from '../metrics/alarms.js';
import { routeNames, type AlertRoutes } from '../settings/environment-settings.js';
import type { OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';
import type { Shown } from './look.js';

/** The route a severity's topic takes to a person, as cdk.json says it (or that it has none). */
export function routeOf(severity: Severity, routes: AlertRoutes): string {
  switch (severity) {
    case 'P1':
      return routes.pagerDutyUrgentSecret === undefined ? 'NO ROUTE (alertRoutes.pagerDutyUrgentSecret)' : `PagerDuty, high urgency (endpoint in secret ${routes.pagerDutyUrgentSecret})`;
    case 'P2':
      return routes.pagerDutyBusinessHoursSecret === undefined
        ? 'NO ROUTE (alertRoutes.pagerDutyBusinessHoursSecret)'
        : `PagerDuty, urgency by support hours (endpoint in secret ${routes.pagerDutyBusinessHoursSecret})`;
    case 'P3':
      return routes.slackWorkspaceId === undefined || routes.slackChannelId === undefined
        ? `NO ROUTE (alertRoutes.slackWorkspaceId and slackChannelId: ${routeNames.slackChannelId})`
        : `Slack channel ${routes.slackChannelId} of workspace ${routes.slackWorkspaceId}, through Chatbot`;
    default: {
      const unknown: never = severity;
      throw new Error(`unknown severity ${String(unknown)}`);
    }
  }
}

/** `--severity P1|P2|P3`, as ops typed it. */
export function severityOf(text: string | undefined): Severity {
  const severity = text?.trim().toUpperCase();
  if (!(severities as readonly string[]).includes(severity ?? '')) {
    throw new OpsError(ExitCode.usage, `--severity must be one of ${severities.join(', ')}, got ${JSON.stringify(text ?? '')}`);
  }
  return severity as Severity;
}

/**
 * `page-test --severity P1|P2|P3`: sets `storytailor-page-test-{severity}` to ALARM and back to OK, so CloudWatch
 * sends a real alarm payload (and its resolution) down the severity's path: its topic, then PagerDuty or Slack. Says
 * which topic and route that is; the person on the other end confirms it arrived.
 */
export async function pageTest(context: OpsContext, cloudwatch: CloudWatchClient, severity: Severity, actor: string, shown: Shown): Promise<ExitCode> {
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
}
