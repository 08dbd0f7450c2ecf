-- The request batches of p_pipelines' emails of unknown outcome that SendGrid has given no evidence for, one row per
-- batch, judged by the settlement's rule: past_grace (recorded more than p_grace_seconds ago), later_processed
-- (Processed events arrived for a batch recorded at least p_later_seconds after it: SendGrid was accepting, and its
-- events reaching us), webhook_clean (the webhook answered every delivery since with 2xx, as webhook_deliveries
-- records, and, where the caller knows it from CloudWatch, had no error or throttle since p_webhook_clean_since) and
-- refusals (the deliveries it refused since). The one statement of the rule: curator_settle_unknown_emails settles by
-- it, `ops in-doubt` shows it.
create or replace function public.curator_unknown_emails(
  p_pipelines text[],
  p_now timestamptz,
  p_grace_seconds integer,
  p_later_seconds integer,
  p_webhook_clean_since timestamptz default null
) returns table (
  batch uuid, recorded_at timestamptz, pipeline_type text, emails integer, from_at timestamptz, to_at timestamptz,
  past_grace boolean, later_processed boolean, webhook_clean boolean, refusals integer
)
language sql
stable
set search_path = public, pg_temp
as $$
  with doubt as (
    select b.id as batch, b.created_at, e.pipeline_type, count(*)::integer as emails,
           min(e.created_at) as from_at, max(e.created_at) as to_at
    from public.pipeline_executions e
    join public.pipeline_request_batches b on b.id = e.request_batch and b.evidence_at is null
    where e.status = 'unknown' and e.request_batch is not null and e.pipeline_type = any(p_pipelines)
    group by b.id, b.created_at, e.pipeline_type
  )
  select d.batch, d.created_at, d.pipeline_type, d.emails, d.from_at, d.to_at,
         d.created_at <= p_now - make_interval(secs => p_grace_seconds),
         exists (select 1 from public.pipeline_request_batches later
                 where later.evidence_event = 'processed'
                   and later.created_at >= d.created_at + make_interval(secs => p_later_seconds)),
         r.refusals = 0 and (p_webhook_clean_since is null or d.created_at >= p_webhook_clean_since),
         r.refusals
  from doubt d
  cross join lateral (
    select count(*)::integer as refusals from public.webhook_deliveries w where w.status >= 300 and w.received_at >= d.created_at
  ) r
  order by d.created_at, d.batch;
$$;
