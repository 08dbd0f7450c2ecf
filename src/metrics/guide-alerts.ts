/**
 * Every alert line of the two guides (docs/guides/), as `guide · where · the line as written`. `where` names the
 * section: the monitoring guide's "Key Metrics to Monitor" alerts (Email, SLA, Lambda), its put-metric-alarm commands,
 * its "Performance Baselines", its On-Call Playbook severities (P1-P4); the operations guide's "Alerts &
 * Notifications" (Critical, Warning, Info) and its weekly checklist's "Alert if". A unit test reads the guides and
 * finds exactly these lines; each is answered by an alarm (src/metrics/alarms.ts) or by a reason below.
 */
export const guideLines = [
  'monitoring · Email alerts · Open rate <30% for any type',
  'monitoring · Email alerts · Unsubscribe spike (>10 in 1 hour)',
  'monitoring · Email alerts · Bounce rate >5%',
  'monitoring · Email alerts · Spam complaints >0',
  'monitoring · SLA alerts · SLA violation rate >5%',
  'monitoring · SLA alerts · Crisis alert SLA violations >1 in 1 hour',
  'monitoring · Lambda alerts · Error rate >1%',
  'monitoring · Lambda alerts · Duration p99 >30s for batch jobs',
  'monitoring · Lambda alerts · Throttles >0',
  'monitoring · put-metric-alarm · storytailor-email-failure-rate',
  'monitoring · put-metric-alarm · storytailor-crisis-sla-violations',
  'monitoring · put-metric-alarm · storytailor-curator-errors',
  'monitoring · put-metric-alarm · storytailor-high-veto-rate',
  'monitoring · put-metric-alarm · storytailor-unsubscribe-spike',
  'monitoring · Baseline · Daily digest batch: <30s (p99)',
  'monitoring · Baseline · Weekly insights batch: <60s (p99)',
  'monitoring · Baseline · Story scoring batch: <45s (p99)',
  'monitoring · Baseline · Referral reward processing: <10s (p99)',
  'monitoring · Baseline · Single pipeline execution: <5s (p95)',
  'monitoring · Baseline · `track_consumption_event()`: <100ms',
  'monitoring · Baseline · `calculate_story_effectiveness()`: <500ms',
  'monitoring · Baseline · `calculate_user_credits()`: <50ms',
  'monitoring · Baseline · `should_send_email()`: <100ms',
  'monitoring · Baseline · SendGrid API latency: <1s (p95)',
  'monitoring · Baseline · Email queued to sent: <5s',
  'monitoring · Baseline · Sent to delivered: <30s',
  'monitoring · P1 · Crisis alert system down',
  'monitoring · P1 · Lambda function errors >10/hour',
  'monitoring · P1 · Email delivery failure rate >10%',
  'monitoring · P1 · Database unavailable',
  'monitoring · P2 · EventBridge job failures',
  'monitoring · P2 · SLA violations >5/hour',
  'monitoring · P2 · Unsubscribe spike',
  'monitoring · P2 · Referral reward failures',
  'monitoring · P3 · High veto rates (data collection issue)',
  'monitoring · P3 · Slow query warnings',
  'monitoring · P3 · Capacity warnings',
  'monitoring · P3 · Config drift detected',
  'monitoring · P4 · Minor metric deviations',
  'monitoring · P4 · Optimization opportunities',
  'monitoring · P4 · Feature requests',
  'operations · Weekly Checklist · SLA violation rate >5%',
  'operations · Critical · Email failure rate >5%',
  'operations · Critical · Crisis alert SLA violations >3/hour',
  'operations · Critical · Lambda errors >10/hour',
  'operations · Critical · EventBridge job failures',
  'operations · Warning · Veto rate <10% for insights (sending too much)',
  'operations · Warning · Veto rate >90% for insights (not enough data)',
  'operations · Warning · Unsubscribe rate >0.3%',
  'operations · Warning · SLA violations 1-3/hour',
  'operations · Info · Daily job execution summary',
  'operations · Info · Email volume report',
  'operations · Info · Credit issuance summary',
  'operations · Info · Pipeline execution counts',
] as const;

export type GuideLine = (typeof guideLines)[number];

const dailyEmail = 'an Info line: the morning ops summary email (09:00 UTC, runbooks/operations.md "The morning ops summary") carries it, not a page';
const dailyReview = 'a P4 line: the daily review of the morning ops summary email, not an alarm';

/** The lines no alarm answers, and why. */
export const unalarmedLines: Readonly<Partial<Record<GuideLine, string>>> = {
  'monitoring · Baseline · `track_consumption_event()`: <100ms':
    'the app calls it when a story is read; the curator never does, so its duration is the app\'s to measure',
  'monitoring · Baseline · `calculate_user_credits()`: <50ms':
    'the app calls it to show a balance; the curator reads credit from the ledger set-based and from Stripe',
  'monitoring · Baseline · SendGrid API latency: <1s (p95)':
    'the curator sends up to 1,000 personalizations per request, so a request is a page, not an email: its time is in the run\'s page timings (ops run) and JobDuration',
  'monitoring · Baseline · Email queued to sent: <5s':
    'an email row is queued just before its page\'s one SendGrid request and marked sent on the answer, so queued to sent is that request (above)',
  'monitoring · Baseline · Sent to delivered: <30s':
    'SendGrid reports delivery with a one-second timestamp, minutes after in batches; the webhook keeps delivered_at, and database-queries.md measures sent to delivered by type',
  'monitoring · P3 · Config drift detected':
    'drift is a state, not an event: a switch off for more than a day or an override in force is listed by `ops switches` and in the morning ops summary email, which flags a switch off for more than a day',
  'monitoring · P4 · Minor metric deviations': dailyReview,
  'monitoring · P4 · Optimization opportunities': dailyReview,
  'monitoring · P4 · Feature requests': dailyReview,
  'operations · Info · Daily job execution summary': dailyEmail,
  'operations · Info · Email volume report': dailyEmail,
  'operations · Info · Credit issuance summary': dailyEmail,
  'operations · Info · Pipeline execution counts': dailyEmail,
};
