-- Applies one Stripe invoice event to the ledger, in one transaction, once per event id (stripe_webhook_events) and
-- once per invoice (stripe_invoices). p_type is the event's type:
--   invoice.finalized, invoice.paid  the invoice took p_balance_applied_cents of the customer's credit balance
--                                    (Stripe applies the balance when it finalizes; paid carries the same figures
--                                    and only matters when finalized never came). Those cents go to the customer's
--                                    curator-issued credits (issued to Stripe, not yet fully applied), oldest first:
--                                    each is applied in full (status `applied`, applied_at, the invoice id) or in
--                                    part (still `pending`, applied_cents recorded). What exceeds them was balance
--                                    other systems created, and is not attributed to the curator (DESIGN.md).
--   invoice.voided                   Stripe gives the balance an invoice took back: its applications are undone,
--                                    and its credits are pending again. A void that comes before the invoice's
--                                    finalized event is kept, so the late event applies nothing.
--   anything else                    acknowledged and recorded `ignored`.
-- An event for a customer the curator never credited is recorded `unknown_customer` and changes nothing. Returns
-- { outcome, credits: [{ ledger_id, source, cents, applied }] } with `applied` true where a credit was used up.
create or replace function public.curator_apply_stripe_invoice(
  p_event_id text,
  p_type text,
  p_invoice_id text,
  p_customer text,
  p_balance_applied_cents integer,
  p_at timestamptz,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_outcome text;
  v_invoice public.stripe_invoices;
  v_credits jsonb := '[]'::jsonb;
begin
  insert into public.stripe_webhook_events (id, type, invoice_id, stripe_customer_id, outcome, received_at)
  values (p_event_id, p_type, p_invoice_id, p_customer, 'received', p_now)
  on conflict (id) do nothing;
  if not found then
    return jsonb_build_object('outcome', 'duplicate', 'credits', '[]'::jsonb);
  end if;

  if p_type not in ('invoice.finalized', 'invoice.paid', 'invoice.voided') or p_invoice_id is null or p_customer is null then
    v_outcome := 'ignored';
  elsif not exists (select 1 from public.reward_ledger where stripe_customer_id = p_customer and amount > 0) then
    v_outcome := 'unknown_customer';
  else
    -- One customer's invoices are applied one at a time: two events of one invoice, or two invoices, never interleave.
    perform pg_advisory_xact_lock(hashtextextended('curator-stripe-customer:' || p_customer, 0));
    select * into v_invoice from public.stripe_invoices where id = p_invoice_id for update;

    if p_type = 'invoice.voided' then
      if v_invoice.id is null then
        insert into public.stripe_invoices (id, stripe_customer_id, balance_applied_cents, status, voided_at, created_at, updated_at)
        values (p_invoice_id, p_customer, 0, 'voided', p_at, p_now, p_now);
        v_outcome := 'voided';
      elsif v_invoice.status = 'voided' then
        v_outcome := 'already_voided';
      else
        with undone as (
          delete from public.reward_applications a where a.invoice_id = p_invoice_id returning a.ledger_id, a.cents
        ), was as (
          -- The statement's snapshot: each credit's status before this void.
          select l.id, l.status from public.reward_ledger l where l.id in (select ledger_id from undone)
        ), given_back as (
          update public.reward_ledger l
          set applied_cents = l.applied_cents - u.cents,
              status = case when l.status = 'applied' then 'pending' else l.status end,
              applied_at = case when l.status = 'applied' then null else l.applied_at end,
              stripe_invoice_id = case when l.stripe_invoice_id = p_invoice_id then null else l.stripe_invoice_id end,
              updated_at = p_now
          from undone u
          where l.id = u.ledger_id
          returning l.id, l.source, u.cents
        )
        select coalesce(jsonb_agg(jsonb_build_object('ledger_id', g.id, 'source', g.source, 'cents', -g.cents, 'applied', w.status = 'applied')), '[]'::jsonb)
        into v_credits from given_back g join was w on w.id = g.id;
        update public.stripe_invoices set status = 'voided', voided_at = p_at, updated_at = p_now where id = p_invoice_id;
        v_outcome := 'returned';
      end if;
    elsif v_invoice.id is not null then
      v_outcome := case when v_invoice.status = 'voided' then 'voided_before' else 'already_applied' end;
    else
      insert into public.stripe_invoices (id, stripe_customer_id, balance_applied_cents, status, applied_at, created_at, updated_at)
      values (p_invoice_id, p_customer, greatest(p_balance_applied_cents, 0), 'applied', p_at, p_now, p_now);
      with open_credits as (
        select l.id, l.source, l.amount - l.applied_cents as remaining,
               sum(l.amount - l.applied_cents) over (order by l.created_at, l.id) - (l.amount - l.applied_cents) as before
        from public.reward_ledger l
        where l.stripe_customer_id = p_customer and l.amount > 0 and l.status = 'pending'
          and l.stripe_balance_transaction_id is not null and l.applied_cents < l.amount
      ), taken as (
        select o.id, o.source, least(o.remaining, greatest(p_balance_applied_cents, 0) - o.before)::integer as cents, o.remaining
        from open_credits o
        where o.before < greatest(p_balance_applied_cents, 0)
      ), applications as (
        insert into public.reward_applications (invoice_id, ledger_id, cents, applied_at)
        select p_invoice_id, t.id, t.cents, p_at from taken t
        returning ledger_id
      ), applied as (
        update public.reward_ledger l
        set applied_cents = l.applied_cents + t.cents,
            status = case when t.cents = t.remaining then 'applied' else l.status end,
            applied_at = case when t.cents = t.remaining then p_at else l.applied_at end,
            stripe_invoice_id = case when t.cents = t.remaining then p_invoice_id else l.stripe_invoice_id end,
            updated_at = p_now
        from taken t
        where l.id = t.id
        returning l.id, l.source, t.cents, t.cents = t.remaining as used_up
      )
      select coalesce(jsonb_agg(jsonb_build_object('ledger_id', a.id, 'source', a.source, 'cents', a.cents, 'applied', a.used_up)), '[]'::jsonb)
      into v_credits from applied a;
      update public.stripe_invoices
      set curator_cents = (select coalesce(sum((c->>'cents')::integer), 0) from jsonb_array_elements(v_credits) c)
      where id = p_invoice_id;
      v_outcome := 'applied';
    end if;
  end if;

  update public.stripe_webhook_events set outcome = v_outcome where id = p_event_id;
  return jsonb_build_object('outcome', v_outcome, 'credits', v_credits);
end;
$$;
