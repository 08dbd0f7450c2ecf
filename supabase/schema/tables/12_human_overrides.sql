-- What ops did by hand: kill switch flips, stop-all, replays, manual credits.
create table public.human_overrides (
  id             uuid primary key default gen_random_uuid(),
  pipeline_type  text not null check (pipeline_type in (
                   'all', 'daily_digest', 'weekly_insights', 'story_scoring', 'referral_rewards', 'expire_credits',
                   'org_health_report', 'data_retention',
                   'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout')),
  override_type  text not null check (override_type in (
                   'kill_switch_disable', 'kill_switch_enable', 'stop_all', 'start_all', 'replay', 'manual_credit', 'threshold_change')),
  actor          text not null check (length(btrim(actor)) > 0),
  reason         text not null check (length(btrim(reason)) > 0),
  ticket         text,
  details        jsonb not null default '{}'::jsonb,
  occurred_at    timestamptz not null default now()
);
create index human_overrides_occurred on public.human_overrides (occurred_at);
