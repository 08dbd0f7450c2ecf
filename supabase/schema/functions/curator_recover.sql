-- What the health job recovers, in one statement: every run whose lease ran out while running (except one held by
-- its shards) is marked stuck and its pending actions settled; the pending actions of realtime signals whose
-- invocation died (no run, claimed longer than a lease ago) are settled the same way; request batches older than a
-- week are removed. Answers what to resume: the stuck runs updated in the last six hours with a resume event and
-- fewer than p_max_attempts attempts, and the shards of running runs whose lease ran out, with what their event
-- needs; and how many runs were newly marked stuck, per job.
create or replace function public.curator_recover(
  p_now timestamptz,
  p_lease_seconds integer,
  p_max_attempts integer
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_stuck_id uuid;
  v_newly jsonb := '{}'::jsonb;
  v_job text;
  v_orphans integer;
begin
  for v_stuck_id, v_job in
    update public.pipeline_runs
    set status = 'stuck', updated_at = p_now, error = coalesce(error, 'lease expired while running')
    where status = 'running' and lease_expires_at < p_now and lease_owner is distinct from 'shards'
    returning id, job_type
  loop
    perform public.curator_settle_executions(
      array(select e.id from public.pipeline_executions e where e.run_id = v_stuck_id and e.status = 'pending'),
      p_now, 'the run stopped (its lease expired) before this outcome was recorded');
    v_newly := jsonb_set(v_newly, array[v_job], to_jsonb(coalesce((v_newly->>v_job)::integer, 0) + 1));
  end loop;

  select public.curator_settle_executions(
    array(select e.id from public.pipeline_executions e
          where e.run_id is null and e.status = 'pending' and e.updated_at < p_now - make_interval(secs => p_lease_seconds)),
    p_now, 'the invocation stopped before this outcome was recorded')
  into v_orphans;

  delete from public.pipeline_request_batches where created_at < p_now - interval '7 days';
  delete from public.webhook_deliveries where received_at < p_now - interval '7 days';
  delete from public.stripe_webhook_events where received_at < p_now - interval '31 days';

  return jsonb_build_object(
    'newly_stuck', v_newly,
    'orphans_settled', v_orphans,
    'resume_runs', coalesce((
      select jsonb_agg(jsonb_build_object('run_id', r.id, 'job_type', r.job_type, 'period_key', r.period_key,
                                          'attempt', r.attempt, 'resume_event', r.resume_event) order by r.updated_at)
      from public.pipeline_runs r
      where r.status = 'stuck' and r.resume_event is not null and r.attempt < p_max_attempts
        and r.updated_at > p_now - interval '6 hours'), '[]'::jsonb),
    'resume_shards', coalesce((
      select jsonb_agg(jsonb_build_object('run_id', s.run_id, 'job_type', r.job_type, 'shard', s.shard,
                                          'generation', s.generation, 'period_key', r.period_key,
                                          'scheduled_for', r.scheduled_for) order by s.run_id, s.shard)
      from public.pipeline_run_shards s
      join public.pipeline_runs r on r.id = s.run_id and r.status = 'running' and r.attempt = s.generation
      where s.status = 'running' and s.lease_expires_at < p_now and s.attempt < p_max_attempts), '[]'::jsonb));
end;
$$;
