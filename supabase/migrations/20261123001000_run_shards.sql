-- Shards: a run whose population is too large for one invocation is split into key ranges, each walked by its own
-- invocation from the SQS work queue. The run row stays the one record of the run: every shard adds its counts to
-- it, and the last shard to finish completes it. See 20261123000600_curator_runs.sql for conventions.

alter table public.pipeline_runs
  add column shards integer check (shards is null or shards >= 2);
comment on column public.pipeline_runs.shards is 'How many shards the run was split into; null when one invocation walked it.';

-- One row per shard of a run's current attempt (`generation` = pipeline_runs.attempt when it was split). A shard
-- covers subject keys in (after_key, through_key]; null bounds are open. Its lease, cursor and counts work as the
-- run's do. `share` is its part of the population: the part of the emails-per-run ceiling it may spend, so the
-- shards together never pass the ceiling without locking each other.
create table public.pipeline_run_shards (
  run_id            uuid not null references public.pipeline_runs (id) on delete cascade,
  shard             integer not null check (shard >= 0),
  generation        integer not null check (generation >= 1),
  after_key         text,
  through_key       text,
  share             double precision not null check (share > 0 and share <= 1),
  status            text not null default 'pending' check (status in ('pending', 'running', 'succeeded', 'failed')),
  lease_owner       text,
  lease_expires_at  timestamptz,
  cursor            text,
  attempt           integer not null default 0 check (attempt >= 0),
  candidates        integer not null default 0 check (candidates >= 0),
  executed          integer not null default 0 check (executed >= 0),
  skipped           integer not null default 0 check (skipped >= 0),
  vetoed            integer not null default 0 check (vetoed >= 0),
  failed            integer not null default 0 check (failed >= 0),
  escalated         integer not null default 0 check (escalated >= 0),
  started_at        timestamptz,
  completed_at      timestamptz,
  updated_at        timestamptz not null default now(),
  error             text,
  primary key (run_id, shard),
  constraint pipeline_run_shards_running_has_lease check (status <> 'running' or lease_expires_at is not null)
);
alter table public.pipeline_run_shards enable row level security;
revoke all on table public.pipeline_run_shards from public, anon, authenticated;
grant select, insert, update, delete on table public.pipeline_run_shards to service_role;
create policy service_role_all on public.pipeline_run_shards as permissive for all to service_role using (true) with check (true);

-- A page of digest or insights candidates, as before, bounded above by p_through (inclusive) when a shard walks it,
-- found through the index whatever the page or the subjects, and with each family's signal read per family.
drop function public.curator_user_candidates(text, text, text, timestamptz, timestamptz, text, integer, text[], jsonb, timestamptz);
create function public.curator_user_candidates(
  p_job_type text,
  p_email_type text,
  p_period_key text,
  p_window_start timestamptz,
  p_window_end timestamptz,
  p_after text,
  p_limit integer,
  p_subjects text[],
  p_policy jsonb,
  p_at timestamptz,
  p_through text default null
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  -- A SQL function's body is planned without its arguments' values, so each way in is written to stay an index
  -- path in that generic plan: the bounds as a range (`p_after is null or u.id > p_after` scanned every family
  -- before the cursor, on every page), and the given subjects (a replay's) as their own branch, looked up by
  -- key (`p_subjects is null or u.id = any(p_subjects)` compared every active family with every subject).
  with page as (
    (select u.id, u.email, u.first_name
     from public.users u
     where p_subjects is null
       and u.is_active
       and u.id > coalesce(p_after::uuid, '00000000-0000-0000-0000-000000000000')
       and u.id <= coalesce(p_through::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
     order by u.id
     limit p_limit)
    union all
    (select u.id, u.email, u.first_name
     from public.users u
     where u.id = any(p_subjects::uuid[])
       and u.is_active
       and u.id > coalesce(p_after::uuid, '00000000-0000-0000-0000-000000000000')
       and u.id <= coalesce(p_through::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
     order by u.id
     limit p_limit)
  ), facts as (
    select * from public.email_cap_facts(array(select id from page), p_email_type, p_policy, p_at)
  ), existing as (
    select * from public.curator_existing_executions(p_job_type, p_period_key, array(select id::text from page))
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'subject_key', page.id::text,
           'user_id', page.id,
           'email', page.email,
           'first_name', page.first_name,
           'signal_count', coalesce(s.signal_count, 0),
           'confidence', s.confidence,
           'top_story_title', st.title,
           'facts', jsonb_build_object(
             'opted_out', f.opted_out, 'suppressed', f.suppressed,
             'type_count', f.type_count, 'non_critical_counts', to_jsonb(f.non_critical_counts)),
           'existing', case when x.id is null then null
                            else jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason) end
         ) order by page.id), '[]'::jsonb)
  from page
  -- Per family through the (user_id, occurred_at) index: the planner cannot size a page from a CTE, and a join
  -- to a grouped CTE it sized at one row became a nested loop over the whole page for every family.
  cross join lateral (
    select count(*)::integer as signal_count,
           round(count(*) filter (where c.event_type in ('completed', 'replayed', 'shared'))::numeric / nullif(count(*), 0), 4)::float8 as confidence,
           mode() within group (order by c.story_id) as top_story_id
    from public.consumption_metrics c
    where c.user_id = page.id and c.occurred_at >= p_window_start and c.occurred_at < p_window_end
  ) s
  left join public.stories st on st.id = s.top_story_id
  left join facts f on f.user_id = page.id
  left join existing x on x.subject_key = page.id::text;
$$;

-- How many active users there are, and the keys that cut them into shards of p_shard_size: shard i covers
-- (bounds[i-1], bounds[i]], the first from the start, the last to the end. One pass over the users' primary key.
create function public.curator_user_shard_bounds(p_shard_size integer)
returns jsonb
language plpgsql
stable
set search_path = public, pg_temp
as $$
begin
  if p_shard_size is null or p_shard_size < 1 then
    raise exception 'curator_user_shard_bounds: p_shard_size must be at least 1, got %', p_shard_size;
  end if;
  return (
    with active as (
      select u.id, row_number() over (order by u.id) as n, count(*) over () as total
      from public.users u
      where u.is_active
    )
    select jsonb_build_object(
      'population', coalesce(max(total), 0),
      'bounds', coalesce(jsonb_agg(id::text order by id) filter (where n % p_shard_size = 0 and n < total), '[]'::jsonb))
    from active);
end;
$$;

-- Splits the run p_owner holds into shards at p_bounds (from curator_user_shard_bounds) and hands it to them: the
-- run's lease owner becomes 'shards', and each shard's invocation takes its own lease. Shards of an earlier attempt
-- are replaced (a replay of the period splits it again). Returns held = false when the run is not p_owner's.
create function public.curator_fan_out(
  p_run_id uuid,
  p_owner text,
  p_lease_seconds integer,
  p_now timestamptz,
  p_population integer,
  p_shard_size integer,
  p_bounds jsonb
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run public.pipeline_runs;
  v_shards integer := jsonb_array_length(p_bounds) + 1;
begin
  if v_shards < 2 or p_population < v_shards then
    raise exception 'curator_fan_out: % bounds cannot split a population of %', v_shards - 1, p_population;
  end if;
  update public.pipeline_runs
  set lease_owner = 'shards', lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
      shards = v_shards, updated_at = p_now
  where id = p_run_id and lease_owner = p_owner and status = 'running'
  returning * into v_run;
  if not found then
    return jsonb_build_object('held', false);
  end if;

  delete from public.pipeline_run_shards where run_id = p_run_id;
  insert into public.pipeline_run_shards (run_id, shard, generation, after_key, through_key, share, cursor, updated_at)
  select p_run_id, b.i - 1, v_run.attempt, b.after_key, b.through_key,
         case when b.through_key is null then (p_population - (v_shards - 1) * p_shard_size)::float8 / p_population
              else p_shard_size::float8 / p_population end,
         b.after_key, p_now
  from (
    select k.i, lag(k.key) over (order by k.i) as after_key, k.key as through_key
    from (select key, i from jsonb_array_elements_text(p_bounds) with ordinality as e(key, i)
          union all select null, v_shards) k
  ) b;
  return jsonb_build_object('held', true, 'generation', v_run.attempt, 'shards', v_shards);
end;
$$;

-- Takes shard p_shard of the run's attempt p_generation. A shard already leased and alive is left alone (the same
-- message delivered twice), a finished one too. A shard whose invocation died (lease expired) or failed is taken
-- over from its cursor; the actions that invocation claimed but never recorded are marked unknown first, as a
-- stuck run's are. A failed shard retried by the queue brings the run it failed back to running; a run that
-- failed otherwise (its shards could not all be queued) is left to a replay.
create function public.curator_acquire_shard(
  p_run_id uuid,
  p_shard integer,
  p_generation integer,
  p_owner text,
  p_lease_seconds integer,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run public.pipeline_runs;
  v_shard public.pipeline_run_shards;
begin
  select * into v_run from public.pipeline_runs where id = p_run_id for update;
  if not found or v_run.attempt <> p_generation then
    return jsonb_build_object('acquired', false, 'reason', 'superseded');
  end if;
  select * into v_shard from public.pipeline_run_shards where run_id = p_run_id and shard = p_shard for update;
  if not found or v_shard.generation <> p_generation then
    return jsonb_build_object('acquired', false, 'reason', 'superseded');
  end if;
  if v_shard.status = 'succeeded' then
    return jsonb_build_object('acquired', false, 'reason', 'completed', 'shard', to_jsonb(v_shard));
  end if;
  if not (v_run.status = 'running' or (v_run.status = 'failed' and v_shard.status = 'failed')) then
    return jsonb_build_object('acquired', false, 'reason', 'run_' || v_run.status, 'shard', to_jsonb(v_shard));
  end if;
  if v_shard.status = 'running' and v_shard.lease_owner is distinct from 'continuation' and v_shard.lease_expires_at >= p_now then
    return jsonb_build_object('acquired', false, 'reason', 'in_progress', 'shard', to_jsonb(v_shard));
  end if;

  if v_shard.status = 'failed' or (v_shard.status = 'running' and v_shard.lease_owner is distinct from 'continuation') then
    update public.pipeline_executions e
    set status = 'unknown', updated_at = p_now,
        error = coalesce(e.error, 'the shard stopped before this outcome was recorded')
    where e.run_id = p_run_id and e.status = 'pending'
      and (v_shard.after_key is null or e.subject_key > v_shard.after_key)
      and (v_shard.through_key is null or e.subject_key <= v_shard.through_key);
  end if;
  if v_run.status = 'failed' then
    update public.pipeline_runs
    set status = 'running', lease_owner = 'shards', lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
        completed_at = null, error = null, updated_at = p_now
    where id = p_run_id;
  end if;
  update public.pipeline_run_shards
  set status = 'running', lease_owner = p_owner, lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
      attempt = attempt + 1, started_at = coalesce(started_at, p_now), completed_at = null, error = null, updated_at = p_now
  where run_id = p_run_id and shard = p_shard
  returning * into v_shard;
  return jsonb_build_object('acquired', true, 'shard', to_jsonb(v_shard));
end;
$$;

-- Saves a shard's page: its cursor, lease and counts, and the same counts added to the run, whose lease the
-- shards keep alive between them. Returns held = false when the shard is no longer p_owner's.
create function public.curator_touch_shard(
  p_run_id uuid,
  p_shard integer,
  p_owner text,
  p_lease_seconds integer,
  p_now timestamptz,
  p_cursor text,
  p_counts jsonb
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with touched as (
    update public.pipeline_run_shards
    set lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
        cursor = coalesce(p_cursor, cursor),
        candidates = candidates + coalesce((p_counts->>'candidates')::integer, 0),
        executed = executed + coalesce((p_counts->>'executed')::integer, 0),
        skipped = skipped + coalesce((p_counts->>'skipped')::integer, 0),
        vetoed = vetoed + coalesce((p_counts->>'vetoed')::integer, 0),
        failed = failed + coalesce((p_counts->>'failed')::integer, 0),
        escalated = escalated + coalesce((p_counts->>'escalated')::integer, 0),
        updated_at = p_now
    where run_id = p_run_id and shard = p_shard and lease_owner = p_owner and status = 'running'
    returning 1
  ), run as (
    update public.pipeline_runs
    set lease_expires_at = greatest(lease_expires_at, p_now + make_interval(secs => p_lease_seconds)),
        candidates = candidates + coalesce((p_counts->>'candidates')::integer, 0),
        executed = executed + coalesce((p_counts->>'executed')::integer, 0),
        skipped = skipped + coalesce((p_counts->>'skipped')::integer, 0),
        vetoed = vetoed + coalesce((p_counts->>'vetoed')::integer, 0),
        failed = failed + coalesce((p_counts->>'failed')::integer, 0),
        escalated = escalated + coalesce((p_counts->>'escalated')::integer, 0),
        updated_at = p_now
    where id = p_run_id and exists (select 1 from touched)
    returning 1
  )
  select jsonb_build_object('held', exists (select 1 from touched) and exists (select 1 from run));
$$;

-- Hands a shard on to its continuation, as curator_release_run does for a run.
create function public.curator_release_shard(
  p_run_id uuid,
  p_shard integer,
  p_owner text,
  p_grace_seconds integer,
  p_now timestamptz
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with released as (
    update public.pipeline_run_shards
    set lease_owner = 'continuation', lease_expires_at = p_now + make_interval(secs => p_grace_seconds), updated_at = p_now
    where run_id = p_run_id and shard = p_shard and lease_owner = p_owner and status = 'running'
    returning 1
  )
  select jsonb_build_object('released', exists (select 1 from released));
$$;

-- Ends a shard as succeeded or failed. The run's row is locked first, so of two shards finishing at once the
-- second sees the first: the last one to finish completes the run, failed if any shard failed. Returns the
-- completed run, or run = null while shards remain; held = false when the shard is no longer p_owner's.
create function public.curator_finish_shard(
  p_run_id uuid,
  p_shard integer,
  p_owner text,
  p_status text,
  p_now timestamptz,
  p_error text default null
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run public.pipeline_runs;
  v_open integer;
  v_failed integer;
  v_error text;
begin
  if p_status not in ('succeeded', 'failed') then
    raise exception 'curator_finish_shard: p_status must be succeeded or failed, got %', p_status;
  end if;
  perform 1 from public.pipeline_runs where id = p_run_id for update;
  update public.pipeline_run_shards
  set status = p_status, lease_owner = null, lease_expires_at = null, completed_at = p_now, error = p_error, updated_at = p_now
  where run_id = p_run_id and shard = p_shard and lease_owner = p_owner and status = 'running';
  if not found then
    return jsonb_build_object('held', false, 'run', null);
  end if;

  select count(*) filter (where status in ('pending', 'running')),
         count(*) filter (where status = 'failed'),
         min(format('shard %s: %s', shard, error)) filter (where status = 'failed')
  into v_open, v_failed, v_error
  from public.pipeline_run_shards where run_id = p_run_id;
  if v_open > 0 then
    return jsonb_build_object('held', true, 'run', null);
  end if;

  update public.pipeline_runs
  set status = case when v_failed > 0 then 'failed' else 'succeeded' end,
      lease_owner = null, lease_expires_at = null, completed_at = p_now, updated_at = p_now,
      error = case when v_failed > 0 then format('%s of %s shards failed; %s', v_failed, shards, v_error) end
  where id = p_run_id and status = 'running'
  returning * into v_run;
  return jsonb_build_object('held', true, 'run', case when found then to_jsonb(v_run) end);
end;
$$;

revoke execute on all functions in schema public from public, anon, authenticated;
grant execute on all functions in schema public to service_role;
