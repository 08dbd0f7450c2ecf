-- Data retention moves rows older than 90 days here. Same columns and checks, no unique claim and no foreign
-- keys: an archived row is history, not a claim.
create table public.pipeline_executions_archive (
  like public.pipeline_executions including defaults including constraints
);
alter table public.pipeline_executions_archive
  add column archived_at timestamptz not null default now(),
  add primary key (id);
create index pipeline_executions_archive_user_created on public.pipeline_executions_archive (user_id, created_at);
create index pipeline_executions_archive_archived on public.pipeline_executions_archive (archived_at);

create table public.email_delivery_log_archive (
  like public.email_delivery_log including defaults including constraints
);
alter table public.email_delivery_log_archive
  add column archived_at timestamptz not null default now(),
  add primary key (id);
create index email_delivery_log_archive_user_created on public.email_delivery_log_archive (user_id, created_at);
create index email_delivery_log_archive_archived on public.email_delivery_log_archive (archived_at);
