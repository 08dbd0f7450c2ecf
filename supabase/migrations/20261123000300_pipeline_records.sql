-- What the curator records: runs, one decision per candidate, every email, every credit movement, ops actions.
-- Record tables carry no foreign key to users: they are an audit trail that outlives the account and moves to
-- the archive tables, and the curator writes user ids it has just read from users.

-- One row per (job, period). The lease makes a duplicate delivery of the same firing find the run taken;
-- continuations and shards add their counts to the same row.
create table public.pipeline_runs (
  id                uuid primary key default gen_random_uuid(),
  job_type          text not null check (job_type in (
                      'daily_digest', 'weekly_insights', 'story_scoring', 'referral_rewards', 'expire_credits',
                      'org_health_report', 'data_retention',
                      'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout')),
  period_key        text not null check (length(period_key) > 0),
  trigger           text not null check (trigger in ('schedule', 'replay')),
  status            text not null default 'running' check (status in ('running', 'succeeded', 'failed', 'stuck')),
  event_id          text,
  scheduled_for     timestamptz,
  lease_owner       text,
  lease_expires_at  timestamptz,
  cursor            jsonb,
  attempt           integer not null default 1 check (attempt >= 1),
  candidates        integer not null default 0 check (candidates >= 0),
  executed          integer not null default 0 check (executed >= 0),
  skipped           integer not null default 0 check (skipped >= 0),
  vetoed            integer not null default 0 check (vetoed >= 0),
  failed            integer not null default 0 check (failed >= 0),
  escalated         integer not null default 0 check (escalated >= 0),
  started_at        timestamptz not null default now(),
  completed_at      timestamptz,
  updated_at        timestamptz not null default now(),
  error             text,
  constraint pipeline_runs_once unique (job_type, period_key),
  constraint pipeline_runs_running_has_lease check (status <> 'running' or lease_expires_at is not null),
  constraint pipeline_runs_finished_has_time check (status not in ('succeeded', 'failed') or completed_at is not null)
);
-- Health: runs by status in the last hour; stuck detection: running rows whose lease expired.
create index pipeline_runs_status_started on public.pipeline_runs (status, started_at);
create index pipeline_runs_started on public.pipeline_runs (started_at);

-- One row per candidate decision, unique per (pipeline, subject, period): the claim that makes an action happen
-- at most once. subject_key names what the action is about (a user id, an organisation admin, a referral);
-- period_key is the period of the firing, or the app's signalId for a realtime signal.
create table public.pipeline_executions (
  id                uuid primary key default gen_random_uuid(),
  run_id            uuid references public.pipeline_runs (id) on delete set null,
  pipeline_type     text not null check (pipeline_type in (
                      'daily_digest', 'weekly_insights', 'story_scoring', 'referral_rewards', 'expire_credits',
                      'org_health_report', 'data_retention',
                      'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout')),
  pipeline_name     text not null,
  subject_key       text not null check (length(subject_key) > 0),
  period_key        text not null check (length(period_key) > 0),
  user_id           uuid,
  status            text not null default 'pending' check (status in (
                      'pending', 'succeeded', 'failed', 'vetoed', 'skipped', 'escalated', 'unknown')),
  vetoed            boolean not null default false,
  veto_reason       text check (veto_reason in (
                      'KILL_SWITCH_ACTIVE', 'SLA_MISSED', 'INSUFFICIENT_SIGNAL', 'LOW_CONFIDENCE',
                      'USER_OPTED_OUT', 'FREQUENCY_CAP', 'NO_PAYMENT_ACCOUNT', 'BUDGET_EXCEEDED')),
  confidence_score  double precision check (confidence_score between 0 and 1),
  signal_count      integer check (signal_count >= 0),
  -- Realtime rows carry the app's event_timestamp (ISO-8601) here; the SLA queries of the guides read it.
  trigger_data      jsonb not null default '{}'::jsonb,
  attempts          integer not null default 0 check (attempts >= 0),
  error             text,
  started_at        timestamptz not null default now(),
  completed_at      timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  constraint pipeline_executions_once unique (pipeline_type, subject_key, period_key),
  constraint pipeline_executions_veto_has_reason check (vetoed = (veto_reason is not null)),
  constraint pipeline_executions_vetoed_status check (
    (status = 'vetoed' and vetoed) or (status <> 'vetoed' and (not vetoed or status = 'escalated'))),
  constraint pipeline_executions_terminal_completed check (status in ('pending', 'unknown') or completed_at is not null)
);
create index pipeline_executions_user_created on public.pipeline_executions (user_id, created_at);
create index pipeline_executions_type_created on public.pipeline_executions (pipeline_type, created_at);
-- Data retention walks the oldest rows in batches.
create index pipeline_executions_created on public.pipeline_executions (created_at);
create index pipeline_executions_run on public.pipeline_executions (run_id) where run_id is not null;
-- A replay with vetoReason and a time range re-evaluates exactly these rows.
create index pipeline_executions_vetoed on public.pipeline_executions (pipeline_type, veto_reason, created_at) where vetoed;
-- Stuck-run recovery and reconciliation pick up work that never reached a terminal status.
create index pipeline_executions_unfinished on public.pipeline_executions (pipeline_type, period_key)
  where status in ('pending', 'unknown');

-- One row per email. queued is written before the provider is called; queued and sent both count toward
-- the frequency caps, failed does not.
create table public.email_delivery_log (
  id                   uuid primary key default gen_random_uuid(),
  execution_id         uuid references public.pipeline_executions (id) on delete set null,
  user_id              uuid not null,
  email_type           text not null check (email_type in (
                         'daily_digest', 'weekly_insights', 'org_health_report',
                         'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout')),
  template_id          text,
  status               text not null default 'queued' check (status in (
                         'queued', 'sent', 'failed', 'delivered', 'opened', 'clicked',
                         'bounced', 'dropped', 'unsubscribed', 'spamreport')),
  provider_message_id  text,
  attempts             integer not null default 0 check (attempts >= 0),
  error                text,
  queued_at            timestamptz not null default now(),
  sent_at              timestamptz,
  last_event_at        timestamptz,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  constraint email_delivery_log_one_per_execution unique (execution_id),
  constraint email_delivery_log_sent_has_time check (status in ('queued', 'failed') or sent_at is not null)
);
-- Frequency caps: every email of a user queued in a rolling window, without touching the heap for type and status.
create index email_delivery_log_user_queued on public.email_delivery_log (user_id, queued_at) include (email_type, status);
create index email_delivery_log_sent_at on public.email_delivery_log (sent_at);
create index email_delivery_log_created on public.email_delivery_log (created_at);
-- The SendGrid webhook joins its events back by message id.
create index email_delivery_log_provider_message on public.email_delivery_log (provider_message_id)
  where provider_message_id is not null;

-- Every credit movement, in US cents. Credits are positive; an expiry reversal is negative.
-- The row is written before Stripe is called and its id is the idempotency key; (source, reference_key) makes a
-- referral, a milestone or a support ticket pay out once however often the job or an operator retries.
create table public.reward_ledger (
  id                             uuid primary key default gen_random_uuid(),
  user_id                        uuid not null,
  amount                         integer not null check (amount <> 0),
  currency                       text not null default 'usd' check (currency = 'usd'),
  source                         text not null check (source in ('referral', 'milestone', 'manual', 'expiry')),
  status                         text not null default 'pending' check (status in ('pending', 'applied', 'expired', 'failed')),
  reference_key                  text not null check (length(reference_key) > 0),
  execution_id                   uuid references public.pipeline_executions (id) on delete set null,
  stripe_customer_id             text,
  stripe_balance_transaction_id  text unique,
  description                    text,
  error_message                  text,
  expires_at                     timestamptz,
  applied_at                     timestamptz,
  expired_at                     timestamptz,
  created_at                     timestamptz not null default now(),
  updated_at                     timestamptz not null default now(),
  constraint reward_ledger_once unique (source, reference_key),
  constraint reward_ledger_sign check ((source = 'expiry') = (amount < 0))
);
create index reward_ledger_user_created on public.reward_ledger (user_id, created_at);
-- The daily credit ceiling and the guide's daily issuance query.
create index reward_ledger_created on public.reward_ledger (created_at);
-- Expire credits: unapplied credits past their expiry.
create index reward_ledger_expiring on public.reward_ledger (expires_at) where status = 'pending' and amount > 0;
create index reward_ledger_execution on public.reward_ledger (execution_id) where execution_id is not null;

create table public.referral_tracking (
  id               uuid primary key default gen_random_uuid(),
  referrer_id      uuid not null references public.users (id) on delete cascade,
  referee_id       uuid references public.users (id) on delete set null,
  referral_code    text,
  status           text not null default 'pending' check (status in ('pending', 'signed_up', 'converted')),
  reward_status    text not null default 'pending' check (reward_status in ('pending', 'issued', 'failed')),
  reward_ledger_id uuid references public.reward_ledger (id) on delete set null,
  signed_up_at     timestamptz,
  converted_at     timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint referral_tracking_converted_has_time check (status <> 'converted' or converted_at is not null),
  constraint referral_tracking_issued_only_converted check (reward_status <> 'issued' or status = 'converted')
);
-- A person can be referred once.
create unique index referral_tracking_referee on public.referral_tracking (referee_id) where referee_id is not null;
create index referral_tracking_referrer_created on public.referral_tracking (referrer_id, created_at);
create index referral_tracking_created on public.referral_tracking (created_at);
-- Referral rewards: conversions still waiting for their credit.
create index referral_tracking_unrewarded on public.referral_tracking (converted_at)
  where status = 'converted' and reward_status <> 'issued';

-- What ops did by hand: kill switch flips, stop-all, replays, manual credits.
create table public.human_overrides (
  id             uuid primary key default gen_random_uuid(),
  pipeline_type  text not null check (pipeline_type in (
                   'all', 'daily_digest', 'weekly_insights', 'story_scoring', 'referral_rewards', 'expire_credits',
                   'org_health_report', 'data_retention',
                   'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout')),
  override_type  text not null check (override_type in (
                   'kill_switch_disable', 'kill_switch_enable', 'stop_all', 'replay', 'manual_credit', 'threshold_change')),
  actor          text not null check (length(btrim(actor)) > 0),
  reason         text not null check (length(btrim(reason)) > 0),
  ticket         text,
  details        jsonb not null default '{}'::jsonb,
  occurred_at    timestamptz not null default now()
);
create index human_overrides_occurred on public.human_overrides (occurred_at);

-- Data retention moves rows older than 90 days here. Same columns and checks, no unique claim and no foreign
-- keys: an archived row is history, not a claim.
create table public.pipeline_executions_archive (
  like public.pipeline_executions including defaults including constraints
);
alter table public.pipeline_executions_archive
  add column archived_at timestamptz not null default now(),
  add primary key (id);
create index pipeline_executions_archive_user_created on public.pipeline_executions_archive (user_id, created_at);
create index pipeline_executions_archive_archived on public.pipeline_executions_archive (archived_at);

create table public.email_delivery_log_archive (
  like public.email_delivery_log including defaults including constraints
);
alter table public.email_delivery_log_archive
  add column archived_at timestamptz not null default now(),
  add primary key (id);
create index email_delivery_log_archive_user_created on public.email_delivery_log_archive (user_id, created_at);
create index email_delivery_log_archive_archived on public.email_delivery_log_archive (archived_at);
