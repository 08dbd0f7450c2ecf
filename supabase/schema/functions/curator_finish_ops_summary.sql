-- Records how the claimed ops summary of a day ended: sent (with SendGrid's message id), failed (it may be claimed
-- again), or unknown (the request left without an answer: never resent on its own). Keeps what it said.
create or replace function public.curator_finish_ops_summary(
  p_summary_date text,
  p_status text,
  p_recipients integer,
  p_provider_message_id text,
  p_error text,
  p_figures jsonb,
  p_now timestamptz
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  update public.ops_summaries
  set status = p_status, recipients = p_recipients, provider_message_id = p_provider_message_id, error = p_error,
      figures = p_figures, sent_at = case when p_status = 'sent' then p_now end
  where summary_date = p_summary_date::date and status = 'sending'
  returning jsonb_build_object('summary_date', summary_date, 'status', status);
$$;
