-- One family's story, for `ops family` (the guides' troubleshooting queries for the common case): the user, their
-- decisions and emails (newest first, up to p_limit), their credits (the ledger), the Stripe events the webhook
-- received for their customer, where the family is (its time zone and own quiet hours; null when the app never said), and referrals, the suppressions of
-- their address, their legal hold (in force or released; null when never held), their email preferences, and the emails that count toward the caps now (queued or sent in the
-- 7 days before p_at), from which the command says how each cap stands and when it frees up. The user is null when
-- there is no such family; the address is the command's to mask, never printed in full.
create or replace function public.curator_family(
  p_user_id uuid,
  p_at timestamptz,
  p_limit integer
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select jsonb_build_object(
    'user', (select jsonb_build_object('id', u.id, 'email', u.email, 'first_name', u.first_name, 'is_active', u.is_active,
                                       'has_stripe_customer', u.stripe_customer_id is not null, 'stripe_customer_id', u.stripe_customer_id)
             from public.users u where u.id = p_user_id),
    'decisions', coalesce((select jsonb_agg(to_jsonb(x) order by x.created_at desc) from (
        select e.id, e.pipeline_type, e.period_key, e.status, e.veto_reason, e.confidence_score, e.signal_count,
               e.error, e.created_at, e.completed_at
        from public.pipeline_executions e where e.user_id = p_user_id
        order by e.created_at desc limit p_limit) x), '[]'::jsonb),
    'emails', coalesce((select jsonb_agg(to_jsonb(x) order by x.queued_at desc) from (
        select l.execution_id, l.email_type, l.status, l.queued_at, l.sent_at, l.last_event_at, l.error
        from public.email_delivery_log l where l.user_id = p_user_id
        order by l.queued_at desc limit p_limit) x), '[]'::jsonb),
    'ledger', coalesce((select jsonb_agg(to_jsonb(x) order by x.created_at desc) from (
        select g.id, g.amount, g.source, g.status, g.reference_key, g.stripe_balance_transaction_id, g.error_message,
               g.expires_at, g.created_at, g.applied_cents, g.applied_at, g.expired_at,
               -- Each invoice that took from it, oldest first (the Stripe webhook's applications).
               coalesce((select jsonb_agg(jsonb_build_object('invoice_id', a.invoice_id, 'cents', a.cents, 'applied_at', a.applied_at)
                                          order by a.applied_at, a.invoice_id)
                         from public.reward_applications a where a.ledger_id = g.id), '[]'::jsonb) as invoices
        from public.reward_ledger g where g.user_id = p_user_id
        order by g.created_at desc limit p_limit) x), '[]'::jsonb),
    -- What Stripe's webhook delivered for the family's customer (newest first): whether invoices reach the curator.
    'stripe_events', coalesce((select jsonb_agg(to_jsonb(x) order by x.received_at desc) from (
        select w.id, w.type, w.invoice_id, w.outcome, w.received_at
        from public.stripe_webhook_events w
        where w.stripe_customer_id = (select u.stripe_customer_id from public.users u where u.id = p_user_id)
        order by w.received_at desc limit p_limit) x), '[]'::jsonb),
    'time_zone', (select jsonb_build_object('time_zone', z.time_zone, 'quiet_start', to_char(z.quiet_start, 'HH24:MI'),
                                            'quiet_end', to_char(z.quiet_end, 'HH24:MI'), 'updated_at', z.updated_at)
                  from public.family_time_zones z where z.user_id = p_user_id),
    'referrals', coalesce((select jsonb_agg(to_jsonb(x) order by x.created_at desc) from (
        select r.id, r.status, r.reward_status, r.converted_at, r.created_at
        from public.referral_tracking r where r.referrer_id = p_user_id
        order by r.created_at desc limit p_limit) x), '[]'::jsonb),
    'suppressions', coalesce((select jsonb_agg(jsonb_build_object('reason', s.reason, 'created_at', s.created_at))
        from public.email_suppressions s
        where s.user_id = p_user_id or s.email = (select lower(btrim(u.email)) from public.users u where u.id = p_user_id)), '[]'::jsonb),
    'legal_hold', (select jsonb_build_object('reason', h.reason, 'placed_by', h.placed_by, 'placed_at', h.placed_at,
                                             'released_at', h.released_at)
                   from public.legal_holds h where h.user_id = p_user_id),
    'preferences', coalesce((select jsonb_agg(jsonb_build_object('email_type', p.email_type, 'enabled', p.enabled))
        from public.email_preferences p where p.user_id = p_user_id), '[]'::jsonb),
    'cap_emails', coalesce((select jsonb_agg(jsonb_build_object('email_type', l.email_type, 'queued_at', l.queued_at) order by l.queued_at)
        from public.email_delivery_log l
        where l.user_id = p_user_id and l.status <> 'failed'
          and l.queued_at > p_at - interval '7 days' and l.queued_at <= p_at), '[]'::jsonb));
$$;
