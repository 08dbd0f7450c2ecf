import { describe, expect, it } from 'vitest';
import { missedEmailTargets, runbookSections } from '../../src/ops-summary/checklist.js';
import { niceCeiling, trendCharts } from '../../src/ops-summary/charts/trend-charts.js';
import { renderOpsSummary, type OpsSummaryInput } from '../../src/ops-summary/render.js';
import type { OpsSummaryFigures } from '../../src/store/rows.js';

type EmailRow = OpsSummaryFigures['email'][number];
const emailRow = (row: Partial<EmailRow> & Pick<EmailRow, 'email_type' | 'delivered'>): EmailRow => ({
  sent: row.delivered,
  opened: 0,
  clicked: 0,
  bounced: 0,
  unsubscribed: 0,
  spam_reported: 0,
  open_rate: 50,
  click_rate: 5,
  unsubscribe_rate: 0,
  bounce_rate: 0,
  ...row,
});

const figures = (overrides: Partial<OpsSummaryFigures> = {}): OpsSummaryFigures => ({
  from: '2026-12-04T00:00:00Z',
  until: '2026-12-05T00:00:00Z',
  runs: [],
  replays: [],
  missed: [],
  executions: [],
  email: [],
  credits_issued: [],
  credits_expired: { count: 0, total_usd: 0 },
  credits_failed: { count: 0, total_usd: 0 },
  crisis_escalations: 0,
  vetoes: [],
  breaker_trips: [],
  overrides: [],
  last_flips: [],
  false_positives: [],
  overnight: [],
  weekly: null,
  monthly: null,
  ...overrides,
});

const input = (over: Partial<OpsSummaryFigures>, extra: Partial<OpsSummaryInput> = {}): OpsSummaryInput => ({
  environment: 'production',
  summaryDate: '2026-12-04',
  figures: figures(over),
  switches: [],
  overridesInForce: [],
  ignoredOverrides: [],
  switchesReadable: true,
  functionHealth: { kind: 'read', health: { functionName: 'storytailor-intelligence-curator-production', invocations: 120, errors: 0, throttles: 0 } },
  now: new Date('2026-12-05T09:00:02Z'),
  ...extra,
});

describe('the morning email flags what the guides\' checklists ask', () => {
  it('flags the 4 December digest\'s 39.3 % open rate, and nothing for a type below 100 deliveries', () => {
    const digest = emailRow({ email_type: 'daily_digest', delivered: 2_812, opened: 1_105, clicked: 150, open_rate: 39.3, click_rate: 5.3 });
    const crisis = emailRow({ email_type: 'crisis_alert', delivered: 3, open_rate: 33.3 });
    expect(missedEmailTargets(digest)).toEqual(['open rate 39.3 % (target above 40 %)']);
    expect(missedEmailTargets(crisis)).toEqual([]);
    const { attention, text, subject } = renderOpsSummary(input({ email: [digest, crisis] }));
    expect(attention).toEqual([`daily_digest: open rate 39.3 % (target above 40 %) → ${runbookSections.email}`]);
    expect(subject).toMatch(/: 1 needs attention$/);
    // Clicks are shown, with their rate.
    expect(text).toMatch(/^daily_digest\s+2812\s+2812\s+1105\s+150\s+0\s+0\s+0\s+39\.3 %\s+5\.3 %\s+0 %\s+0 %\s+MISSED: open rate 39\.3 %/m);
    expect(text).toMatch(/^crisis_alert\s+.*fewer than 100 delivered$/m);
  });

  it('flags unsubscribes at 0.2 %, bounces at 2 %, and any spam complaint at any volume', () => {
    const flags = missedEmailTargets(emailRow({ email_type: 'weekly_insights', delivered: 500, unsubscribe_rate: 0.2, bounce_rate: 2, spam_reported: 1 }));
    expect(flags).toEqual(['1 spam complaint(s) (target 0)', 'unsubscribe rate 0.2 % (target below 0.2 %)', 'bounce rate 2 % (target below 2 %)']);
    expect(missedEmailTargets(emailRow({ email_type: 'crisis_alert', delivered: 2, spam_reported: 1 }))).toEqual(['1 spam complaint(s) (target 0)']);
    const { attention } = renderOpsSummary(input({ email: [emailRow({ email_type: 'crisis_alert', delivered: 2, spam_reported: 1 })] }));
    expect(attention).toEqual([`crisis_alert: 1 spam complaint(s) (target 0) → ${runbookSections.spam}`]);
  });

  it('flags Lambda errors and throttles of the last 24 hours, and says when they could not be read', () => {
    const read = renderOpsSummary(input({}, { functionHealth: { kind: 'read', health: { functionName: 'storytailor-intelligence-curator-production', invocations: 120, errors: 3, throttles: 1 } } }));
    expect(read.attention).toEqual([
      `storytailor-intelligence-curator-production: 3 Lambda error(s) in 24 h (of 120 invocations) → ${runbookSections.lambda}`,
      `storytailor-intelligence-curator-production: 1 throttle(s) in 24 h → ${runbookSections.throttles}`,
    ]);
    const unread = renderOpsSummary(input({}, { functionHealth: { kind: 'unavailable', why: 'CloudWatch could not be read (ThrottlingException)' } }));
    expect(unread.text).toContain('Not read: CloudWatch could not be read (ThrottlingException).');
  });

  it('flags an overnight job that has not started or failed, once, and an SLA violation rate above 5 % on Mondays', () => {
    const overnight = [
      { job_type: 'daily_digest', period_key: '2026-12-04', status: 'failed', started_at: '2026-12-04T20:00:01Z', completed_at: null, candidates: 10, executed: 2, vetoed: 0, failed: 8, replays: 0, error: 'SendGrid 503' },
      { job_type: 'referral_rewards', period_key: '2026-12-05', status: null, started_at: null, completed_at: null, candidates: null, executed: null, vetoed: null, failed: null, replays: 0, error: null },
    ];
    const runs = [{ job_type: 'daily_digest', period_key: '2026-12-04', trigger: 'schedule', status: 'failed', candidates: 10, executed: 2, skipped: 0, vetoed: 0, failed: 8, escalated: 0, duration_ms: 900, error: 'SendGrid 503', replays: 0 }];
    const weekly = {
      from: '2026-11-28T00:00:00Z',
      veto_patterns: [],
      sla: [
        { pipeline_type: 'crisis_alert', total: 40, sla_violations: 3, sla_violation_rate: 7.5 },
        { pipeline_type: 'daily_digest', total: 3_000, sla_violations: 0, sla_violation_rate: 0 },
      ],
      volume: [{ date: '2026-12-01', emails_sent: 3_100, unique_users: 2_950 }],
    };
    const { attention, text } = renderOpsSummary(input({ overnight, runs, weekly }));
    expect(attention).toEqual([
      `daily_digest 2026-12-04 FAILED: SendGrid 503 → ${runbookSections.failedRun}`,
      `referral_rewards 2026-12-05 has not started (an overnight job of the Morning Checklist) → ${runbookSections.missedRun}`,
      `crisis_alert SLA violation rate 7.5 % over 7 days is above 5 % → ${runbookSections.sla}`,
    ]);
    // Only the pipelines with an emotional SLA are in the compliance table.
    expect(text).toMatch(/^crisis_alert\s+40\s+3\s+7\.5 %\s+ABOVE 5 %$/m);
    expect(text).not.toMatch(/^daily_digest\s+3000\s+0\s+0 %/m);
  });
});

describe('the monthly trends', () => {
  it('draws the guides\' five trends from the figures, a rate only on days with enough to say, and leaves an empty chart out', () => {
    const email = [
      { day: '2026-12-01', email_type: 'daily_digest', sent: 3_000, delivered: 2_950, open_rate: 41.5, unsubscribe_rate: 0.1 },
      { day: '2026-12-01', email_type: 'crisis_alert', sent: 3, delivered: 3, open_rate: 100, unsubscribe_rate: 0 },
    ];
    const charts = trendCharts({ email, credits: [], vetoes: [{ day: '2026-12-01', pipeline_type: 'daily_digest', decisions: 3_000, veto_rate: 45.2 }, { day: '2026-12-01', pipeline_type: 'crisis_alert', decisions: 3, veto_rate: 0 }] });
    expect(charts.map((chart) => chart.id)).toEqual(['open-rate', 'emails-by-day', 'unsubscribe-rate', 'veto-rate']);
    const values = (id: string) => ((charts.find((chart) => chart.id === id)!.spec.data as { values: Array<Record<string, unknown>> }).values);
    // Three crisis alerts make no rate line; they are still in the volume bars.
    expect(values('open-rate').map((row) => row.email_type)).toEqual(['daily_digest']);
    expect(values('emails-by-day').map((row) => row.email_type)).toEqual(['daily_digest', 'crisis_alert']);
    expect(values('veto-rate').map((row) => row.pipeline_type)).toEqual(['daily_digest']);
    for (const chart of charts) expect(chart.spec).toMatchObject({ config: { font: 'DejaVu Sans' }, background: 'white' });
    expect([0.3, 27, 90, 112.5].map(niceCeiling)).toEqual([0.5, 50, 100, 200]);
  });
});
