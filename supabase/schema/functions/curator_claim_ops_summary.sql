-- Claims the ops summary of one day before it is sent: the first claim, a retry of one that failed, or of one whose
-- sender died (still 'sending' after p_lease_seconds) wins; a summary already sent, one whose outcome is unknown (it
-- may have gone out) or one being sent now is answered not claimed, with its status, and nothing changes.
create or replace function public.curator_claim_ops_summary(
  p_summary_date text,
  p_monthly boolean,
  p_lease_seconds integer,
  p_now timestamptz
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with claimed as (
    insert into public.ops_summaries (summary_date, status, monthly, claimed_at)
    values (p_summary_date::date, 'sending', p_monthly, p_now)
    on conflict (summary_date) do update
      set status = 'sending', attempts = ops_summaries.attempts + 1, claimed_at = p_now, error = null,
          monthly = excluded.monthly
      where ops_summaries.status = 'failed'
         or (ops_summaries.status = 'sending' and ops_summaries.claimed_at < p_now - make_interval(secs => p_lease_seconds))
    returning attempts
  )
  select case
    when exists (select 1 from claimed) then jsonb_build_object('claimed', true, 'status', 'sending', 'attempts', (select attempts from claimed))
    else jsonb_build_object('claimed', false, 'status', s.status, 'attempts', s.attempts)
  end
  from (select 1) one
  left join public.ops_summaries s on s.summary_date = p_summary_date::date;
$$;
