-- Cents of credit issued in the UTC day of p_at (failed credits excluded): the spend guard's count so far.
create or replace function public.curator_credits_issued_on(p_at timestamptz)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select jsonb_build_object('cents', coalesce(sum(amount), 0))
  from public.reward_ledger
  where amount > 0 and status <> 'failed' and source <> 'expiry'
    and created_at >= date_trunc('day', p_at at time zone 'UTC') at time zone 'UTC'
    and created_at < (date_trunc('day', p_at at time zone 'UTC') + interval '1 day') at time zone 'UTC';
$$;
