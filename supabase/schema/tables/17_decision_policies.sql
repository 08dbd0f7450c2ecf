-- The policies decisions were made under: a pipeline's thresholds, caps and ceilings after ops' overrides
-- (src/curator/policy.ts), stored once and keyed by 16 hex digits of the SHA-256 of their JSON. Each execution
-- points at its policy (pipeline_executions.policy_hash) so `ops what-if` re-makes it under a proposed change.
-- Written by curator_record_decisions, never updated or deleted.
create table public.decision_policies (
  hash           text primary key check (hash ~ '^[0-9a-f]{16}$'),
  pipeline_type  text not null,
  policy         jsonb not null,
  first_used_at  timestamptz not null
);
