import { severities, type Severity } from '../metrics/alarms.js';
import { routeNames, type AlertRoutes } from '../settings/environment-settings.js';
import { ExitCode, OpsError } from './errors.js';

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

