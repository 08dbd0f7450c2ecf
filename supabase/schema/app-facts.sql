-- The app's facts the pipelines read: who the families are, their organisations, how they want to be reached, what
-- they read about. The app owns these tables in its Supabase project; the curator only reads them. Each is created
-- here only where it is absent (a fresh local database), then with row level security like the curator's own. Where
-- the app has them, nothing of them changes: the check below fails the migration naming every column the curator
-- reads that is missing, and the only additions are indexes the curator's queries rely on (`if not exists`).
do $$
begin
  if to_regclass('public.users') is null then
    create table public.users (
      id                  uuid primary key default gen_random_uuid(),
      email               text not null,
      first_name          text,
      stripe_customer_id  text,
      is_active           boolean not null default true,
      created_at          timestamptz not null default now(),
      updated_at          timestamptz not null default now(),
      -- Stored normalised so suppressions (keyed by address) match without functions in the join.
      constraint users_email_normalised check (email = lower(btrim(email)) and position('@' in email) > 1)
    );
    create unique index users_email_key on public.users (email);
    alter table public.users enable row level security;
    revoke all on table public.users from public, anon, authenticated;
    grant select, insert, update, delete on table public.users to service_role;
    create policy service_role_all on public.users as permissive for all to service_role using (true) with check (true);
  end if;

  if to_regclass('public.organizations') is null then
    create table public.organizations (
      id          uuid primary key default gen_random_uuid(),
      name        text not null,
      created_at  timestamptz not null default now()
    );
    alter table public.organizations enable row level security;
    revoke all on table public.organizations from public, anon, authenticated;
    grant select, insert, update, delete on table public.organizations to service_role;
    create policy service_role_all on public.organizations as permissive for all to service_role using (true) with check (true);
  end if;

  if to_regclass('public.organization_members') is null then
    create table public.organization_members (
      organization_id  uuid not null references public.organizations (id) on delete cascade,
      user_id          uuid not null references public.users (id) on delete cascade,
      role             text not null check (role in ('admin', 'member')),
      created_at       timestamptz not null default now(),
      primary key (organization_id, user_id)
    );
    alter table public.organization_members enable row level security;
    revoke all on table public.organization_members from public, anon, authenticated;
    grant select, insert, update, delete on table public.organization_members to service_role;
    create policy service_role_all on public.organization_members as permissive for all to service_role using (true) with check (true);
  end if;

  -- A row is a user's explicit choice for one email type; no row means the default (subscribed). email_type 'all'
  -- turns off every non-critical email; a crisis alert is only turned off by its own row.
  if to_regclass('public.email_preferences') is null then
    create table public.email_preferences (
      user_id     uuid not null references public.users (id) on delete cascade,
      email_type  text not null check (email_type in (
                    'all', 'daily_digest', 'weekly_insights', 'org_health_report',
                    'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout')),
      enabled     boolean not null,
      updated_at  timestamptz not null default now(),
      primary key (user_id, email_type)
    );
    alter table public.email_preferences enable row level security;
    revoke all on table public.email_preferences from public, anon, authenticated;
    grant select, insert, update, delete on table public.email_preferences to service_role;
    create policy service_role_all on public.email_preferences as permissive for all to service_role using (true) with check (true);
  end if;

  if to_regclass('public.stories') is null then
    create table public.stories (
      id          uuid primary key default gen_random_uuid(),
      title       text not null,
      created_at  timestamptz not null default now()
    );
    alter table public.stories enable row level security;
    revoke all on table public.stories from public, anon, authenticated;
    grant select, insert, update, delete on table public.stories to service_role;
    create policy service_role_all on public.stories as permissive for all to service_role using (true) with check (true);
  end if;
end
$$;

-- Every column of the app's tables the curator reads, with its type; a missing one (or one of another type) fails
-- the migration, naming them all, before anything of the curator's is created.
do $$
declare
  v_missing text;
begin
  select string_agg(format('%s.%s (%s)', need.table_name, need.column_name, need.data_type), ', ' order by need.table_name, need.column_name)
  into v_missing
  from (values
    ('users', 'id', 'uuid'), ('users', 'email', 'text'), ('users', 'first_name', 'text'),
    ('users', 'stripe_customer_id', 'text'), ('users', 'is_active', 'boolean'),
    ('organizations', 'id', 'uuid'), ('organizations', 'name', 'text'),
    ('organization_members', 'organization_id', 'uuid'), ('organization_members', 'user_id', 'uuid'),
    ('organization_members', 'role', 'text'),
    ('email_preferences', 'user_id', 'uuid'), ('email_preferences', 'email_type', 'text'),
    ('email_preferences', 'enabled', 'boolean'),
    ('stories', 'id', 'uuid'), ('stories', 'title', 'text')
  ) as need (table_name, column_name, data_type)
  where not exists (
    select 1 from information_schema.columns c
    where c.table_schema = 'public' and c.table_name = need.table_name and c.column_name = need.column_name
      and c.data_type = need.data_type);
  if v_missing is not null then
    raise exception 'the app''s tables lack what the curator reads: %', v_missing
      using hint = 'add these columns (or correct their types) in the app''s own migrations, then migrate the curator again';
  end if;
end
$$;

-- The indexes the curator's queries on the app's tables rely on. Additive: nothing else of these tables changes.
-- Keyset pages over the active population: `where is_active and id > $cursor order by id limit $page`.
create index if not exists users_active_id on public.users (id) where is_active;
create index if not exists organization_members_user on public.organization_members (user_id);
-- The organisation health report goes to every admin of every organisation.
create index if not exists organization_members_admins on public.organization_members (organization_id, user_id) where role = 'admin';
