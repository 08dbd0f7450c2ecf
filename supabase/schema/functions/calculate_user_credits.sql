-- A user's credit in cents that is issued and neither applied to an invoice nor expired at p_at: what invoices took of a
-- credit in part (applied_cents, from the Stripe webhook) is not counted.
create or replace function public.calculate_user_credits(
  p_user_id uuid,
  p_at timestamptz default now()
) returns bigint
language sql
stable
set search_path = public, pg_temp
as $$
  select coalesce(sum(amount - applied_cents), 0)::bigint
  from public.reward_ledger
  where user_id = p_user_id
    and status = 'pending'
    and amount > 0
    and (expires_at is null or expires_at > p_at);
$$;
