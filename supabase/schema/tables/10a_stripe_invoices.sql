-- Stripe's invoices as its webhook told the curator of them (invoice.finalized, invoice.paid, invoice.voided): how
-- many cents of the customer's credit balance each took (starting_balance − ending_balance when the balance was a
-- credit), applied once per invoice whichever of its events comes first or twice, and given back when it is voided.
-- A voided row written before its invoice's finalized event arrived keeps that late event from applying anything.
create table public.stripe_invoices (
  id                     text primary key check (id like 'in\_%'),
  stripe_customer_id     text not null,
  balance_applied_cents  integer not null check (balance_applied_cents >= 0),
  -- What of it went to the curator's credits; the rest was balance other systems created (credit notes, ...).
  curator_cents          integer not null default 0 check (curator_cents >= 0),
  status                 text not null check (status in ('applied', 'voided')),
  applied_at             timestamptz,
  voided_at              timestamptz,
  created_at             timestamptz not null,
  updated_at             timestamptz not null
);
create index stripe_invoices_customer on public.stripe_invoices (stripe_customer_id, created_at);

-- Each credit an invoice took from, and how many cents: a credit may be taken over several invoices.
create table public.reward_applications (
  invoice_id   text not null references public.stripe_invoices (id),
  ledger_id    uuid not null references public.reward_ledger (id),
  cents        integer not null check (cents > 0),
  applied_at   timestamptz not null,
  primary key (invoice_id, ledger_id)
);
create index reward_applications_ledger on public.reward_applications (ledger_id);
create index reward_applications_applied on public.reward_applications (applied_at);

-- Every Stripe event the webhook accepted, by Stripe's event id, so a delivery repeated (Stripe retries for three
-- days) changes nothing twice; `outcome` says what it did (applied, returned, duplicate invoice, an unknown customer,
-- a type the curator does not read). Kept a month (curator_recover removes older rows).
create table public.stripe_webhook_events (
  id                  text primary key,
  type                text not null,
  invoice_id          text,
  stripe_customer_id  text,
  outcome             text not null,
  received_at         timestamptz not null
);
create index stripe_webhook_events_received on public.stripe_webhook_events (received_at);
-- One family's deliveries (ops family, the runbook's "Referral reward not applied").
create index stripe_webhook_events_customer on public.stripe_webhook_events (stripe_customer_id, received_at);
