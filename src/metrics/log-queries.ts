/**
 * The Logs Insights queries of the monitoring guide ("Log Queries"), exactly as it writes them; the stack saves each
 * as a query definition on the curator's log group, and a test holds them to the guide. The curator's log lines
 * carry the fields they read (`vetoed`, `veto_reason`, `status`, `execute`, `confidence_score`, `elapsed_minutes`,
 * `sla_minutes`, `email_type`, `error`), so none finds nothing.
 */
export const guideLogQueries = [
  {
    name: 'Find Vetoed Pipelines',
    query: `fields @timestamp, pipeline_type, veto_reason, confidence_score, signal_count
| filter vetoed = true
| sort @timestamp desc
| limit 100`,
  },
  {
    name: 'Find Email Failures',
    query: `fields @timestamp, user_id, email_type, error
| filter status = "failed"
| sort @timestamp desc
| limit 50`,
  },
  {
    name: 'Find SLA Violations',
    query: `fields @timestamp, pipeline_type, elapsed_minutes, sla_minutes
| filter veto_reason = "SLA_MISSED"
| sort @timestamp desc
| stats count() by pipeline_type`,
  },
  {
    name: 'Find High-Value Events',
    query: `fields @timestamp, pipeline_type, confidence_score
| filter confidence_score > 0.9
| filter execute = true
| sort @timestamp desc`,
  },
] as const;
