-- A manual credit for a support ticket, in one transaction: the ledger row (source manual, keyed by the ticket, so
-- the same ticket never pays twice) and the human override that explains it. Answers the ledger row to pay, the
-- Stripe customer, and whether the ticket had already been credited (then nothing new is written). A user without
-- a Stripe customer is answered with reason NO_PAYMENT_ACCOUNT and nothing is written.
create or replace function public.curator_manual_credit(
  p_user_id uuid,
  p_amount integer,
  p_ticket text,
  p_actor text,
  p_reason text,
  p_expires_at timestamptz,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_customer text;
  v_ledger public.reward_ledger;
begin
  if p_amount is null or p_amount <= 0 then
    raise exception 'curator_manual_credit: amount must be positive cents, got %', p_amount;
  end if;
  select stripe_customer_id into v_customer from public.users where id = p_user_id;
  if not found then
    raise exception 'curator_manual_credit: no user %', p_user_id;
  end if;
  if v_customer is null then
    return jsonb_build_object('refused', 'NO_PAYMENT_ACCOUNT');
  end if;

  insert into public.reward_ledger (user_id, amount, source, status, reference_key, stripe_customer_id, description, expires_at, created_at, updated_at)
  values (p_user_id, p_amount, 'manual', 'pending', p_ticket, v_customer, 'Manual credit ' || p_ticket, p_expires_at, p_now, p_now)
  on conflict on constraint reward_ledger_once do nothing
  returning * into v_ledger;

  if not found then
    select * into v_ledger from public.reward_ledger where source = 'manual' and reference_key = p_ticket;
    if v_ledger.user_id <> p_user_id or v_ledger.amount <> p_amount then
      raise exception 'curator_manual_credit: ticket % already credited % cents to user %', p_ticket, v_ledger.amount, v_ledger.user_id;
    end if;
    return jsonb_build_object('ledger', to_jsonb(v_ledger), 'customer', v_customer, 'already', true);
  end if;

  insert into public.human_overrides (pipeline_type, override_type, actor, reason, ticket, details, occurred_at)
  values ('referral_rewards', 'manual_credit', p_actor, p_reason, p_ticket,
          jsonb_build_object('user_id', p_user_id, 'amount', p_amount, 'ledger_id', v_ledger.id), p_now);
  return jsonb_build_object('ledger', to_jsonb(v_ledger), 'customer', v_customer, 'already', false);
end;
$$;
