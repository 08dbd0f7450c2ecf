
create table public.referral_tracking (
  id               uuid primary key default gen_random_uuid(),
  referrer_id      uuid not null,
  referee_id       uuid,
  referral_code    text,
  status           text not null default 'pending' check (status in ('pending', 'signed_up', 'converted')),
  reward_status    text not null default 'pending' check (reward_status in ('pending', 'issued', 'failed')),
  reward_ledger_id uuid references public.reward_ledger (id) on delete set null,
  signed_up_at     timestamptz,
  converted_at     timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint referral_tracking_converted_has_time check (status <> 'converted' or converted_at is not null),
  constraint referral_tracking_issued_only_converted check (reward_status <> 'issued' or status = 'converted')
);
-- A person can be referred once.
create unique index referral_tracking_referee on public.referral_tracking (referee_id) where referee_id is not null;
create index referral_tracking_referrer_created on public.referral_tracking (referrer_id, created_at);
create index referral_tracking_created on public.referral_tracking (created_at);
-- Referral rewards: conversions still waiting for their credit.
create index referral_tracking_unrewarded on public.referral_tracking (converted_at)
  where status = 'converted' and reward_status <> 'issued';
