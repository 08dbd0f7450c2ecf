-- Whether the caps of p_policy let one more email through, given the counts email_cap_facts() returned: a cap
-- holds while the emails already in its window are fewer than its max; an email outside the family caps (critical,
-- or an organisation's report: p_policy.familyCapped false) answers only to its own type cap. The SQL twin of src/curator/caps.ts (frequencyCapsHold); a property test holds them to one answer.
create or replace function public.email_caps_hold(
  p_type_count integer,
  p_non_critical_counts integer[],
  p_policy jsonb
) returns boolean
language sql
immutable
set search_path = public, pg_temp
as $$
  select (jsonb_typeof(p_policy->'typeCap') is distinct from 'object'
          or p_type_count < (p_policy->'typeCap'->>'max')::integer)
     and (not coalesce((p_policy->>'familyCapped')::boolean, true)
          or not exists (
            select 1
            from jsonb_array_elements(coalesce(p_policy->'nonCriticalCaps', '[]'::jsonb)) with ordinality as w(cap, position)
            where coalesce(p_non_critical_counts[w.position], 0) >= (w.cap->>'max')::integer));
$$;
