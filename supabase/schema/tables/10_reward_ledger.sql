-- Every credit movement, in US cents. Credits are positive; an expiry reversal is negative.
-- The row is written before Stripe is called and its id is the idempotency key; (source, reference_key) makes a
-- referral, a milestone or a support ticket pay out once however often the job or an operator retries.
create table public.reward_ledger (
  id                             uuid primary key default gen_random_uuid(),
  user_id                        uuid not null,
  amount                         integer not null check (amount <> 0),
  currency                       text not null default 'usd' check (currency = 'usd'),
  source                         text not null check (source in ('referral', 'milestone', 'manual', 'expiry')),
  status                         text not null default 'pending' check (status in ('pending', 'applied', 'expired', 'failed')),
  reference_key                  text not null check (length(reference_key) > 0),
  execution_id                   uuid references public.pipeline_executions (id) on delete set null,
  stripe_customer_id             text,
  stripe_balance_transaction_id  text unique,
  description                    text,
  error_message                  text,
  expires_at                     timestamptz,
  -- Cents of this credit Stripe's invoices took from the balance (reward_applications), oldest credit first; the
  -- credit is `applied` once they reach its amount, and stays `pending` with the rest until then.
  applied_cents                  integer not null default 0 check (applied_cents >= 0),
  -- The invoice that applied the last of it.
  stripe_invoice_id              text,
  applied_at                     timestamptz,
  expired_at                     timestamptz,
  created_at                     timestamptz not null default now(),
  updated_at                     timestamptz not null default now(),
  constraint reward_ledger_once unique (source, reference_key),
  constraint reward_ledger_sign check ((source = 'expiry') = (amount < 0)),
  constraint reward_ledger_applied_within check (applied_cents <= abs(amount))
);
create index reward_ledger_user_created on public.reward_ledger (user_id, created_at);
-- The daily credit ceiling and the guide's daily issuance query.
create index reward_ledger_created on public.reward_ledger (created_at);
-- Expire credits: unapplied credits past their expiry.
create index reward_ledger_expiring on public.reward_ledger (expires_at) where status = 'pending' and amount > 0;
create index reward_ledger_execution on public.reward_ledger (execution_id) where execution_id is not null;
-- What an invoice finalized for a customer can be applied to: its issued credits, oldest first.
create index reward_ledger_customer_open on public.reward_ledger (stripe_customer_id, created_at)
  where amount > 0 and status = 'pending' and stripe_balance_transaction_id is not null;
