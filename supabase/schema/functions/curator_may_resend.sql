-- Whether a crisis alert claimed in request batch p_batch may be sent again: its request never left (the batch is
-- not recorded), or it may have but SendGrid has no event of it and the alert has not had its one unconfirmed resend.
create or replace function public.curator_may_resend(
  p_batch uuid,
  p_unconfirmed_resends smallint
) returns boolean
language sql
stable
set search_path = public, pg_temp
as $$
  select case
    when b.id is null then true
    else b.evidence_at is null and p_unconfirmed_resends < 1
  end
  from (select 1) one
  left join public.pipeline_request_batches b on b.id = p_batch;
$$;
