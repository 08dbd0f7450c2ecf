-- Records that a page's provider requests are about to leave: its request batch, and the lease renewed. Fenced: with
-- p_lease ({ run_id, shard, owner, lease_seconds }) nothing is recorded and held = false when the lease is no longer
-- the caller's, who must then not send. Without p_lease (a realtime signal, which holds no run) it always records.
create or replace function public.curator_mark_requests(
  p_batch uuid,
  p_lease jsonb,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid := (p_lease->>'run_id')::uuid;
  v_until timestamptz := p_now + make_interval(secs => coalesce((p_lease->>'lease_seconds')::integer, 0));
begin
  if p_lease is not null then
    if p_lease->>'shard' is null then
      update public.pipeline_runs
      set lease_expires_at = greatest(lease_expires_at, v_until), updated_at = p_now
      where id = v_run_id and lease_owner = p_lease->>'owner' and status = 'running';
    else
      update public.pipeline_run_shards
      set lease_expires_at = greatest(lease_expires_at, v_until), updated_at = p_now
      where run_id = v_run_id and shard = (p_lease->>'shard')::integer and lease_owner = p_lease->>'owner' and status = 'running';
    end if;
    if not found then
      return jsonb_build_object('held', false);
    end if;
  end if;
  insert into public.pipeline_request_batches (id, run_id, created_at) values (p_batch, v_run_id, p_now)
  on conflict (id) do nothing;
  return jsonb_build_object('held', true);
end;
$$;
