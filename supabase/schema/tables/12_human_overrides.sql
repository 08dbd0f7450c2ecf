-- What ops did by hand (kill switch flips, stop-all, replays, manual credits, the clinical review's false positives,
-- request batches of unknown outcome settled by hand, legal holds placed and released)
-- and what the complaint breaker did in their place (breaker_disable, actor 'curator').
create table public.human_overrides (
  id             uuid primary key default gen_random_uuid(),
  pipeline_type  text not null check (pipeline_type in (
                   'all', 'daily_digest', 'weekly_insights', 'story_scoring', 'referral_rewards', 'expire_credits',
                   'org_health_report', 'data_retention',
                   'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout', 'ops_summary')),
  override_type  text not null check (override_type in (
                   'kill_switch_disable', 'kill_switch_enable', 'stop_all', 'start_all', 'replay', 'manual_credit', 'threshold_change',
                   'breaker_disable', 'false_positive', 'settle_emails', 'legal_hold', 'legal_hold_release')),
  actor          text not null check (length(btrim(actor)) > 0),
  reason         text not null check (length(btrim(reason)) > 0),
  ticket         text,
  details        jsonb not null default '{}'::jsonb,
  -- The execution a review is about (false_positive): the latest such row of an execution says whether it stands.
  execution_id   uuid references public.pipeline_executions (id) on delete set null,
  occurred_at    timestamptz not null default now(),
  -- The order rows were written in: two reviews of one alert at the same instant are still one after the other.
  seq            bigint generated always as identity
);
create index human_overrides_occurred on public.human_overrides (occurred_at);
create index human_overrides_execution on public.human_overrides (execution_id, occurred_at, seq) where execution_id is not null;
-- The breaker and the summary look up a pipeline's latest enable, trip or review.
create index human_overrides_pipeline_type on public.human_overrides (pipeline_type, override_type, occurred_at);
