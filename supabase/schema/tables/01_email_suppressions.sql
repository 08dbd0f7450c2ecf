-- Addresses never to email again (bounce, spam report, unsubscribe). Kept apart from email_delivery_log, which data
-- retention archives: a bounce from a year ago must still stop the next send. No foreign key into the app's users:
-- a suppression outlives the account, and the app's deletes are never blocked or cascaded by the curator.
create table public.email_suppressions (
  email            text primary key check (email = lower(btrim(email))),
  reason           text not null check (reason in ('bounce', 'spamreport', 'unsubscribe', 'group_unsubscribe', 'dropped', 'manual')),
  user_id          uuid,
  source_event_id  text,
  created_at       timestamptz not null default now()
);
create index email_suppressions_user on public.email_suppressions (user_id) where user_id is not null;
