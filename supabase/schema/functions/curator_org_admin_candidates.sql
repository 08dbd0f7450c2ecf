-- One page of organisation health report candidates: every active admin of every organisation, keyed
-- `{organization_id}:{user_id}`, with the organisation's members, active members and reading events in the
-- window, the admin's email facts and the existing decision.
create or replace function public.curator_org_admin_candidates(
  p_job_type text,
  p_email_type text,
  p_period_key text,
  p_window_start timestamptz,
  p_window_end timestamptz,
  p_after text,
  p_limit integer,
  p_subjects text[],
  p_policy jsonb,
  p_at timestamptz
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with admins as (
    select m.organization_id::text || ':' || m.user_id::text as subject_key, m.organization_id, m.user_id
    from public.organization_members m
    join public.users u on u.id = m.user_id and u.is_active
    where m.role = 'admin'
  ), page as (
    select a.*, u.email, u.first_name, o.name as organization_name
    from admins a
    join public.users u on u.id = a.user_id
    join public.organizations o on o.id = a.organization_id
    where (p_after is null or a.subject_key > p_after)
      and (p_subjects is null or a.subject_key = any(p_subjects))
    order by a.subject_key
    limit p_limit
  ), org_stats as (
    select m.organization_id,
           count(distinct m.user_id)::integer as members,
           count(distinct c.user_id)::integer as active_members,
           count(c.id)::integer as reading_events
    from public.organization_members m
    left join public.consumption_metrics c
      on c.user_id = m.user_id and c.occurred_at >= p_window_start and c.occurred_at < p_window_end
    where m.organization_id in (select organization_id from page)
    group by m.organization_id
  ), facts as (
    select * from public.email_cap_facts(array(select distinct user_id from page), p_email_type, p_policy, p_at)
  ), existing as (
    select * from public.curator_existing_executions(p_job_type, p_period_key, array(select subject_key from page))
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'subject_key', page.subject_key,
           'user_id', page.user_id,
           'email', page.email,
           'first_name', page.first_name,
           'organization_id', page.organization_id,
           'organization_name', page.organization_name,
           'members', coalesce(os.members, 0),
           'active_members', coalesce(os.active_members, 0),
           'reading_events', coalesce(os.reading_events, 0),
           'facts', jsonb_build_object(
             'opted_out', f.opted_out, 'suppressed', f.suppressed,
             'type_count', f.type_count, 'non_critical_counts', to_jsonb(f.non_critical_counts),
             'time_zone', f.time_zone, 'quiet_start', f.quiet_start, 'quiet_end', f.quiet_end),
           'existing', case when x.id is null then null
                            else jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason) end
         ) order by page.subject_key), '[]'::jsonb)
  from page
  left join org_stats os on os.organization_id = page.organization_id
  left join facts f on f.user_id = page.user_id
  left join existing x on x.subject_key = page.subject_key;
$$;
