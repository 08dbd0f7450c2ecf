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
                      'pending', 'succeeded', 'failed', 'vetoed', 'skipped', 'escalated', 'unknown', 'superseded')),
  vetoed            boolean not null default false,
  veto_reason       text check (veto_reason in (
                      'KILL_SWITCH_ACTIVE', 'SLA_MISSED', 'INSUFFICIENT_SIGNAL', 'LOW_CONFIDENCE',
                      'USER_OPTED_OUT', 'QUIET_HOURS', 'FREQUENCY_CAP', 'NO_PAYMENT_ACCOUNT', 'BUDGET_EXCEEDED')),
  -- QUIET_HOURS: when the family's quiet hours end and the release may send it (computed at decision time, on the
  -- family's wall clock). A held email still waiting when its pipeline's next firing comes is `superseded`, never
  -- sent late; it keeps the time it was held until.
  held_until        timestamptz,
  confidence_score  double precision check (confidence_score between 0 and 1),
  signal_count      integer check (signal_count >= 0),
  -- Realtime rows carry the app's event_timestamp (ISO-8601) here; the SLA queries of the guides read it.
  trigger_data      jsonb not null default '{}'::jsonb,
  -- The policy the decision was made under (decision_policies.hash; not a foreign key, so the hot insert pays no
  -- lookup: curator_record_decisions writes the policy first, and policies are never deleted) and what it read
  -- (src/curator/decision-facts.ts). Null for decisions recorded before they were kept: what-if names them apart.
  policy_hash       text,
  decision_facts    jsonb,
  attempts          integer not null default 0 check (attempts >= 0),
  -- Sends of a crisis alert made while an earlier send of it was unconfirmed (its request recorded, no outcome, no
  -- SendGrid event): at most one across every path (a resend in the invocation, a redelivery, the delayed check),
  -- so a family gets a crisis alert twice at most.
  unconfirmed_resends smallint not null default 0 check (unconfirmed_resends between 0 and 1),
  error             text,
  -- The request batch of the claim (see pipeline_request_batches): once the batch is recorded, the claim's provider
  -- request may have left.
  request_batch     uuid,
  started_at        timestamptz not null default now(),
  completed_at      timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  constraint pipeline_executions_once unique (pipeline_type, subject_key, period_key),
  constraint pipeline_executions_veto_has_reason check (vetoed = (veto_reason is not null)),
  constraint pipeline_executions_vetoed_status check (
    (status = 'vetoed' and vetoed) or (status <> 'vetoed' and (not vetoed or status = 'escalated'))),
  constraint pipeline_executions_held_until check (
    (veto_reason = 'QUIET_HOURS' and held_until is not null) or (veto_reason is distinct from 'QUIET_HOURS' and (held_until is null or status = 'superseded'))),
  constraint pipeline_executions_terminal_completed check (status in ('pending', 'unknown') or completed_at is not null)
);
create index pipeline_executions_user_created on public.pipeline_executions (user_id, created_at);
create index pipeline_executions_type_created on public.pipeline_executions (pipeline_type, created_at);
-- Data retention walks the oldest rows in batches.
create index pipeline_executions_created on public.pipeline_executions (created_at);
create index pipeline_executions_run on public.pipeline_executions (run_id) where run_id is not null;
-- A replay with vetoReason and a time range re-evaluates exactly these rows, paged by (created_at, id): the index
-- holds id, so it returns held executions in the cursor's order and a page stops after its limit.
create index pipeline_executions_vetoed on public.pipeline_executions (pipeline_type, veto_reason, created_at, id) where vetoed;
-- The release of quiet hours reads only what is held, per pipeline, in the order it comes due.
create index pipeline_executions_held_until on public.pipeline_executions (pipeline_type, held_until, id)
  where status = 'vetoed' and veto_reason = 'QUIET_HOURS';
-- The claims SendGrid's events settle, found by their request batch: those of unknown outcome, and those settled
-- failed for want of evidence that may yet come (curator_settle_by_evidence, curator_settle_unknown_emails). Few
-- rows, so each delivery's and each health check's look-up reads only them.
create index pipeline_executions_unsettled_batch on public.pipeline_executions (request_batch)
  where status = 'unknown' or error like 'SendGrid never received it%';
