-- Whether p_user_id may receive an email of p_email_type at p_at under p_policy: not opted out, a deliverable
-- address, and every cap holding. The batch path decides the same question in TypeScript over the same facts.
create or replace function public.should_send_email(
  p_user_id uuid,
  p_email_type text,
  p_policy jsonb,
  p_at timestamptz default now()
) returns boolean
language sql
stable
set search_path = public, pg_temp
as $$
  select not f.opted_out
     and not f.suppressed
     and public.email_caps_hold(f.type_count, f.non_critical_counts, p_policy)
  from public.email_cap_facts(array[p_user_id], p_email_type, p_policy, p_at) f;
$$;
