-- A run's counts plus a page's ({ candidates, executed, skipped, vetoed, held, failed, escalated }, a missing key 0): how
-- a replay's counts add up in pipeline_runs.replay_counts, apart from the firing's own columns.
create or replace function public.curator_add_counts(p_counts jsonb, p_more jsonb)
returns jsonb
language sql
immutable
set search_path = public, pg_temp
as $$
  select jsonb_object_agg(k, coalesce((p_counts->>k)::integer, 0) + coalesce((p_more->>k)::integer, 0))
  from unnest(array['candidates', 'executed', 'skipped', 'vetoed', 'held', 'failed', 'escalated']) as k;
$$;
