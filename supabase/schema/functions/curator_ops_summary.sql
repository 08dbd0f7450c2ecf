-- The figures of the morning ops summary for the UTC day [p_from, p_until): the runs started that day per job (what
-- their firings did, with how often each was replayed, and the expected scheduled firings of p_expected that never
-- started), the replays of a period made that day (of whatever day's run, with what each decided), executions by pipeline and status, email by type
-- as email_performance_daily has that day, credits issued (credits_issued_daily), expired and failed, crisis
-- escalations, SLA violations and veto reasons, the breaker's trips, the day's overrides, each pipeline's last switch
-- flip (so a switch off for more than a day shows), and the false-positive rates of the 30 days to p_until. With
-- p_monthly, also the monthly ops health report over those 30 days: open, unsubscribe and bounce rates by type,
-- referral conversion, credit volume, executions, the guide's override patterns and the milestone bonus rate. The
-- Morning Checklist's overnight jobs (p_overnight: [{ job_type, period_key }], each one's last firing) with their
-- runs, and with p_weekly (Mondays) the Weekly Checklist over the 7 days to p_until: veto patterns, SLA compliance per
-- pipeline, email volume by day.
--
-- p_expected: [{ job_type, period_key }]
create or replace function public.curator_ops_summary(
  p_from timestamptz,
  p_until timestamptz,
  p_expected jsonb,
  p_monthly boolean,
  p_now timestamptz,
  p_overnight jsonb default '[]'::jsonb,
  p_weekly boolean default false
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with day as (select (p_from at time zone 'UTC')::date as d),
  month as (select p_until - interval '30 days' as m_from),
  expected as (select * from jsonb_to_recordset(coalesce(p_expected, '[]'::jsonb)) as x(job_type text, period_key text)),
  overnight as (select o.e->>'job_type' as job_type, o.e->>'period_key' as period_key, o.n
                from jsonb_array_elements(coalesce(p_overnight, '[]'::jsonb)) with ordinality as o(e, n)),
  week as (select p_until - interval '7 days' as w_from)
  select jsonb_build_object(
    'from', p_from,
    'until', p_until,
    'runs', coalesce((
      select jsonb_agg(jsonb_build_object(
               'job_type', r.job_type, 'period_key', r.period_key, 'trigger', r.trigger,
               'status', case when r.status = 'running' and r.lease_expires_at < p_now then 'stuck' else r.status end,
               'candidates', r.candidates, 'executed', r.executed, 'skipped', r.skipped, 'vetoed', r.vetoed,
               'failed', r.failed, 'escalated', r.escalated,
               'duration_ms', case when r.completed_at is null then null
                                   else round(extract(epoch from r.completed_at - r.started_at) * 1000) end,
               'error', r.error,
               'replays', (select count(*) from public.pipeline_run_attempts a where a.run_id = r.id and a.kind = 'replay'))
             order by r.started_at, r.job_type)
      from public.pipeline_runs r
      where r.started_at >= p_from and r.started_at < p_until), '[]'::jsonb),
    'replays', coalesce((
      select jsonb_agg(jsonb_build_object(
               'job_type', r.job_type, 'period_key', r.period_key, 'started_at', a.started_at, 'event_id', a.event_id,
               'status', case when a.id = r.replay_attempt_id then r.status else a.outcome end,
               'candidates', coalesce((c.counts->>'candidates')::integer, 0), 'executed', coalesce((c.counts->>'executed')::integer, 0),
               -- An attempt's summary keeps its vetoes by reason; replay_counts keeps their sum.
               'vetoed', case when jsonb_typeof(c.counts->'vetoed') = 'object'
                              then (select coalesce(sum(v.value::integer), 0) from jsonb_each_text(c.counts->'vetoed') v)
                              else coalesce((c.counts->>'vetoed')::integer, 0) end,
               'failed', coalesce((c.counts->>'failed')::integer, 0))
             order by a.started_at)
      from public.pipeline_run_attempts a
      join public.pipeline_runs r on r.id = a.run_id
      cross join lateral (select case when a.id = r.replay_attempt_id then r.replay_counts else a.summary end as counts) c
      where a.kind = 'replay' and a.started_at >= p_from and a.started_at < p_until), '[]'::jsonb),
    'missed', coalesce((
      select jsonb_agg(jsonb_build_object('job_type', x.job_type, 'period_key', x.period_key) order by x.job_type)
      from expected x
      where not exists (select 1 from public.pipeline_runs r where r.job_type = x.job_type and r.period_key = x.period_key)), '[]'::jsonb),
    'executions', coalesce((
      select jsonb_agg(to_jsonb(t) order by t.pipeline_type, t.status)
      from (select e.pipeline_type, e.status, count(*) as count from public.pipeline_executions e
            where e.created_at >= p_from and e.created_at < p_until group by 1, 2) t), '[]'::jsonb),
    'email', coalesce((
      select jsonb_agg(to_jsonb(v) - 'day' order by v.email_type)
      from public.email_performance_daily v, day where v.day = day.d), '[]'::jsonb),
    'credits_issued', coalesce((
      select jsonb_agg(to_jsonb(c) - 'day' order by c.source)
      from public.credits_issued_daily c, day where c.day = day.d), '[]'::jsonb),
    'credits_expired', (
      select jsonb_build_object('count', count(*), 'total_usd', coalesce(-sum(l.amount), 0) / 100.0)
      from public.reward_ledger l
      where l.source = 'expiry' and l.status <> 'failed' and l.created_at >= p_from and l.created_at < p_until),
    'credits_failed', (
      select jsonb_build_object('count', count(*), 'total_usd', coalesce(sum(abs(l.amount)), 0) / 100.0)
      from public.reward_ledger l
      where l.status = 'failed' and l.created_at >= p_from and l.created_at < p_until),
    'crisis_escalations', (
      select count(*) from public.pipeline_executions e
      where e.pipeline_type = 'crisis_alert' and e.status = 'escalated' and e.created_at >= p_from and e.created_at < p_until),
    'vetoes', coalesce((
      select jsonb_agg(to_jsonb(t) order by t.count desc, t.pipeline_type, t.veto_reason)
      from (select e.pipeline_type, e.veto_reason, count(*) as count from public.pipeline_executions e
            where e.vetoed and e.created_at >= p_from and e.created_at < p_until group by 1, 2) t), '[]'::jsonb),
    'breaker_trips', coalesce((
      select jsonb_agg(jsonb_build_object('pipeline_type', o.pipeline_type, 'occurred_at', o.occurred_at, 'reason', o.reason)
                       order by o.occurred_at)
      from public.human_overrides o
      where o.override_type = 'breaker_disable' and o.occurred_at >= p_from and o.occurred_at < p_until), '[]'::jsonb),
    'overrides', coalesce((
      select jsonb_agg(jsonb_build_object('pipeline_type', o.pipeline_type, 'override_type', o.override_type,
                                          'actor', o.actor, 'reason', o.reason, 'ticket', o.ticket, 'occurred_at', o.occurred_at)
                       order by o.occurred_at)
      from public.human_overrides o
      where o.occurred_at >= p_from and o.occurred_at < p_until), '[]'::jsonb),
    'last_flips', coalesce((
      select jsonb_agg(jsonb_build_object('pipeline_type', f.pipeline_type, 'override_type', f.override_type,
                                          'actor', f.actor, 'occurred_at', f.occurred_at) order by f.pipeline_type)
      from (select distinct on (o.pipeline_type) o.pipeline_type, o.override_type, o.actor, o.occurred_at
            from public.human_overrides o
            where o.override_type in ('kill_switch_disable', 'kill_switch_enable', 'breaker_disable') and o.occurred_at < p_now
            order by o.pipeline_type, o.occurred_at desc) f), '[]'::jsonb),
    'false_positives', (select public.curator_false_positive_rates(month.m_from, p_until) from month),
    -- The Morning Checklist's overnight jobs: each one's last firing before the summary, as its run has it.
    'overnight', coalesce((
      select jsonb_agg(jsonb_build_object(
               'job_type', x.job_type, 'period_key', x.period_key,
               'status', case when r.id is null then null
                              when r.status = 'running' and r.lease_expires_at < p_now then 'stuck' else r.status end,
               'started_at', r.started_at, 'completed_at', r.completed_at,
               'candidates', r.candidates, 'executed', r.executed, 'vetoed', r.vetoed, 'failed', r.failed,
               'replays', (select count(*) from public.pipeline_run_attempts a where a.run_id = r.id and a.kind = 'replay'),
               'error', r.error)
             order by x.n)
      from overnight x
      left join public.pipeline_runs r on r.job_type = x.job_type and r.period_key = x.period_key), '[]'::jsonb),
    -- The Weekly Checklist (Mondays), over the 7 days to p_until: its three queries.
    'weekly', case when not p_weekly then null else (
      select jsonb_build_object(
        'from', week.w_from,
        'veto_patterns', coalesce((
          select jsonb_agg(to_jsonb(t) order by t.count desc, t.pipeline_type, t.veto_reason)
          from (select e.pipeline_type, e.veto_reason, count(*) as count from public.pipeline_executions e
                where e.created_at >= week.w_from and e.created_at < p_until and e.vetoed group by 1, 2) t), '[]'::jsonb),
        'sla', coalesce((
          select jsonb_agg(to_jsonb(t) order by t.pipeline_type)
          from (select e.pipeline_type, count(*) as total,
                       count(*) filter (where e.veto_reason = 'SLA_MISSED') as sla_violations,
                       round(100.0 * count(*) filter (where e.veto_reason = 'SLA_MISSED') / count(*), 2) as sla_violation_rate
                from public.pipeline_executions e
                where e.created_at >= week.w_from and e.created_at < p_until
                group by 1) t), '[]'::jsonb),
        'volume', coalesce((
          select jsonb_agg(to_jsonb(t) order by t.date)
          from (select (l.sent_at at time zone 'UTC')::date as date, count(*) as emails_sent, count(distinct l.user_id) as unique_users
                from public.email_delivery_log l
                where l.sent_at >= week.w_from and l.sent_at < p_until group by 1) t), '[]'::jsonb))
      from week) end,
    'monthly', case when not p_monthly then null else (
      select jsonb_build_object(
        'from', month.m_from,
        'email', coalesce((
          select jsonb_agg(jsonb_build_object(
                   'email_type', t.email_type, 'sent', t.sent, 'delivered', t.delivered, 'opened', t.opened,
                   'unsubscribed', t.unsubscribed, 'bounced', t.bounced,
                   'open_rate', round(100.0 * t.opened / nullif(t.delivered, 0), 1),
                   'unsubscribe_rate', round(100.0 * t.unsubscribed / nullif(t.delivered, 0), 2),
                   'bounce_rate', round(100.0 * t.bounced / nullif(t.sent, 0), 2)) order by t.email_type)
          from (select v.email_type, sum(v.sent) as sent, sum(v.delivered) as delivered, sum(v.opened) as opened,
                       sum(v.unsubscribed) as unsubscribed, sum(v.bounced) as bounced
                from public.email_performance_daily v
                where v.day >= (month.m_from at time zone 'UTC')::date and v.day < (p_until at time zone 'UTC')::date
                group by v.email_type) t), '[]'::jsonb),
        'referrals', (
          select jsonb_build_object('referrals', coalesce(sum(r.referrals), 0), 'signed_up', coalesce(sum(r.signed_up), 0),
                                    'converted', coalesce(sum(r.converted), 0), 'rewarded', coalesce(sum(r.rewarded), 0),
                                    'conversion_rate', round(100.0 * sum(r.converted) / nullif(sum(r.referrals), 0), 1))
          from public.referral_conversion_daily r
          where r.day >= (month.m_from at time zone 'UTC')::date and r.day < (p_until at time zone 'UTC')::date),
        'credits', coalesce((
          select jsonb_agg(jsonb_build_object('source', c.source, 'credits', c.credits, 'total_usd', c.total_usd) order by c.source)
          from (select c.source, sum(c.credits) as credits, sum(c.total_usd) as total_usd
                from public.credits_issued_daily c
                where c.day >= (month.m_from at time zone 'UTC')::date and c.day < (p_until at time zone 'UTC')::date
                group by c.source) c), '[]'::jsonb),
        'executions', coalesce((
          select jsonb_agg(to_jsonb(t) order by t.pipeline_type, t.status)
          from (select e.pipeline_type, e.status, count(*) as count from public.pipeline_executions e
                where e.created_at >= month.m_from and e.created_at < p_until group by 1, 2) t), '[]'::jsonb),
        'override_patterns', coalesce((
          select jsonb_agg(to_jsonb(t) order by t.count desc, t.pipeline_type, t.override_type)
          from (select o.pipeline_type, o.override_type, count(*) as count from public.human_overrides o
                where o.occurred_at >= month.m_from and o.occurred_at < p_until group by 1, 2) t), '[]'::jsonb),
        -- The trends the monthly report draws, day by day over the 30 days: email by type (volume, open and unsubscribe
        -- rates), credits issued (by source) and expired, and the veto rate of each pipeline.
        'trends', jsonb_build_object(
          'email', coalesce((
            select jsonb_agg(jsonb_build_object('day', v.day, 'email_type', v.email_type, 'sent', v.sent, 'delivered', v.delivered,
                                                'open_rate', v.open_rate, 'unsubscribe_rate', v.unsubscribe_rate) order by v.day, v.email_type)
            from public.email_performance_daily v
            where v.day >= (month.m_from at time zone 'UTC')::date and v.day < (p_until at time zone 'UTC')::date), '[]'::jsonb),
          'credits', coalesce((
            select jsonb_agg(jsonb_build_object('day', c.day, 'kind', c.kind, 'usd', c.usd) order by c.day, c.kind)
            from (select d.day, 'issued: ' || d.source as kind, d.total_usd as usd from public.credits_issued_daily d
                  where d.day >= (month.m_from at time zone 'UTC')::date and d.day < (p_until at time zone 'UTC')::date
                  union all
                  -- What Stripe's invoices took of the curator's credits (the Stripe webhook): the guide's "applied".
                  select a.day, 'applied', sum(a.total_usd) from public.credits_applied_daily a
                  where a.day >= (month.m_from at time zone 'UTC')::date and a.day < (p_until at time zone 'UTC')::date
                  group by 1
                  union all
                  select (l.created_at at time zone 'UTC')::date, 'expired', -sum(l.amount) / 100.0
                  from public.reward_ledger l
                  where l.source = 'expiry' and l.status <> 'failed' and l.created_at >= month.m_from and l.created_at < p_until
                  group by 1) c), '[]'::jsonb),
          'vetoes', coalesce((
            select jsonb_agg(to_jsonb(t) order by t.day, t.pipeline_type)
            from (select (e.created_at at time zone 'UTC')::date as day, e.pipeline_type, count(*) as decisions,
                         round(100.0 * count(*) filter (where e.vetoed) / count(*), 1) as veto_rate
                  from public.pipeline_executions e
                  where e.created_at >= month.m_from and e.created_at < p_until
                  group by 1, 2) t), '[]'::jsonb)),
        -- The monitoring guide's milestone bonus rate: active families credited a milestone in the 30 days.
        'milestone_bonus', (
          select jsonb_build_object('families', m.families, 'active_families', a.active,
                                    'rate', round(100.0 * m.families / nullif(a.active, 0), 2))
          from (select count(distinct l.user_id) as families from public.reward_ledger l
                where l.source = 'milestone' and l.amount > 0 and l.status <> 'failed'
                  and l.created_at >= month.m_from and l.created_at < p_until) m,
               (select count(*) as active from public.users u where u.is_active) a))
      from month) end)
  from month;
$$;
