-- The one candidate of a realtime signal: the user (null when unknown), their email facts (leaving out the signal's
-- own email: an alert taken again, after a crash or an unanswered send, is not capped by itself), the count of this
-- pipeline's alerts for the same child in the type cap's window when the cap is per child, and the existing
-- decision for the signal.
create or replace function public.curator_signal_candidate(
  p_job_type text,
  p_email_type text,
  p_signal_id text,
  p_user_id uuid,
  p_child_id text,
  p_policy jsonb,
  p_at timestamptz
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select jsonb_build_object(
    'user', (select jsonb_build_object('id', u.id, 'email', u.email, 'first_name', u.first_name, 'is_active', u.is_active)
             from public.users u where u.id = p_user_id),
    'facts', (select jsonb_build_object(
                'opted_out', f.opted_out, 'suppressed', f.suppressed,
                'type_count', f.type_count, 'non_critical_counts', to_jsonb(f.non_critical_counts))
              from public.email_cap_facts(array[p_user_id], p_email_type, p_policy, p_at,
                     array(select x.id from public.curator_existing_executions(p_job_type, p_signal_id, array[p_user_id::text]) x)) f),
    'child_type_count', case
      when p_child_id is null or jsonb_typeof(p_policy->'typeCap') is distinct from 'object' then null
      else (select count(*)::integer from public.pipeline_executions e
            where e.pipeline_type = p_job_type and e.user_id = p_user_id
              and e.trigger_data->>'child_id' = p_child_id
              and e.period_key <> p_signal_id
              and e.status in ('pending', 'succeeded', 'unknown')
              and e.started_at <= p_at
              and e.started_at > p_at - (p_policy->'typeCap'->>'windowHours')::float8 * interval '1 hour')
    end,
    'existing', (select jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason)
                 from public.curator_existing_executions(p_job_type, p_signal_id, array[p_user_id::text]) x)
  );
$$;
