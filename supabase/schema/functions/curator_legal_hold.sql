-- Places or releases a legal hold on one family's records (`ops hold`, `ops release`): while held, data retention
-- neither archives nor deletes their executions and emails (archive_expired_records). The hold and its
-- human_overrides row (legal_hold or legal_hold_release, under data_retention) are written together. Placing a hold
-- that stands, or releasing one that does not, writes nothing and says so. A family the app no longer has may still
-- be held: their curator rows are what the hold keeps.
-- outcome: held | released | already_held | not_held
create or replace function public.curator_legal_hold(
  p_user_id uuid,
  p_hold boolean,
  p_actor text,
  p_reason text,
  p_ticket text,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_hold public.legal_holds;
  v_id uuid;
  v_known boolean := exists (select 1 from public.users u where u.id = p_user_id);
begin
  -- One change at a time per family: two holds typed at once are one hold and one "already held".
  perform pg_advisory_xact_lock(hashtext('curator_legal_hold'), hashtext(p_user_id::text));
  select * into v_hold from public.legal_holds h where h.user_id = p_user_id;
  if p_hold and v_hold.user_id is not null and v_hold.released_at is null then
    return jsonb_build_object('outcome', 'already_held', 'hold', to_jsonb(v_hold), 'known_user', v_known);
  end if;
  if not p_hold and (v_hold.user_id is null or v_hold.released_at is not null) then
    return jsonb_build_object('outcome', 'not_held', 'hold', case when v_hold.user_id is null then null else to_jsonb(v_hold) end,
                              'known_user', v_known);
  end if;
  if p_hold then
    insert into public.legal_holds (user_id, reason, placed_by, placed_at, released_at)
    values (p_user_id, p_reason, p_actor, p_now, null)
    on conflict (user_id) do update set reason = excluded.reason, placed_by = excluded.placed_by,
                                        placed_at = excluded.placed_at, released_at = null
    returning * into v_hold;
  else
    update public.legal_holds h set released_at = greatest(p_now, h.placed_at) where h.user_id = p_user_id
    returning * into v_hold;
  end if;
  insert into public.human_overrides (pipeline_type, override_type, actor, reason, ticket, details, occurred_at)
  values ('data_retention', case when p_hold then 'legal_hold' else 'legal_hold_release' end, p_actor, p_reason, p_ticket,
          jsonb_build_object('user_id', p_user_id), p_now)
  returning id into v_id;
  return jsonb_build_object('outcome', case when p_hold then 'held' else 'released' end, 'hold', to_jsonb(v_hold),
                            'override_id', v_id, 'known_user', v_known);
end;
$$;
