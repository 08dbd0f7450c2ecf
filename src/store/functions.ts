/**
 * The SQL functions the store calls, with their parameters' SQL types in declaration order. Both transports
 * read this: the Postgres one to write `fn(p_x => $1::type, ...)`, the Supabase one to send the same names.
 * `returns: 'value'` functions answer one value (jsonb or a scalar); `'rows'` ones a set of rows.
 */
export const storeFunctions = {
  curator_acquire_run: {
    returns: 'value',
    params: {
      p_job_type: 'text',
      p_period_key: 'text',
      p_trigger: 'text',
      p_owner: 'text',
      p_lease_seconds: 'integer',
      p_now: 'timestamptz',
      p_event_id: 'text',
      p_scheduled_for: 'timestamptz',
      p_resume_event: 'jsonb',
    },
  },
  curator_touch_run: {
    returns: 'value',
    params: {
      p_run_id: 'uuid',
      p_owner: 'text',
      p_lease_seconds: 'integer',
      p_now: 'timestamptz',
      p_cursor: 'jsonb',
      p_counts: 'jsonb',
    },
  },
  curator_finish_run: {
    returns: 'value',
    params: { p_run_id: 'uuid', p_owner: 'text', p_status: 'text', p_now: 'timestamptz', p_counts: 'jsonb', p_error: 'text' },
  },
  curator_release_run: {
    returns: 'value',
    params: { p_run_id: 'uuid', p_owner: 'text', p_grace_seconds: 'integer', p_now: 'timestamptz', p_cursor: 'jsonb' },
  },
  curator_user_candidates: {
    returns: 'value',
    params: {
      p_job_type: 'text',
      p_email_type: 'text',
      p_period_key: 'text',
      p_window_start: 'timestamptz',
      p_window_end: 'timestamptz',
      p_after: 'text',
      p_limit: 'integer',
      p_subjects: 'text[]',
      p_policy: 'jsonb',
      p_at: 'timestamptz',
      p_through: 'text',
    },
  },
  curator_user_shard_bounds: { returns: 'value', params: { p_shard_size: 'integer' } },
  curator_fan_out: {
    returns: 'value',
    params: {
      p_run_id: 'uuid',
      p_owner: 'text',
      p_lease_seconds: 'integer',
      p_now: 'timestamptz',
      p_population: 'integer',
      p_shard_size: 'integer',
      p_bounds: 'jsonb',
    },
  },
  curator_acquire_shard: {
    returns: 'value',
    params: { p_run_id: 'uuid', p_shard: 'integer', p_generation: 'integer', p_owner: 'text', p_lease_seconds: 'integer', p_now: 'timestamptz' },
  },
  curator_touch_shard: {
    returns: 'value',
    params: {
      p_run_id: 'uuid',
      p_shard: 'integer',
      p_owner: 'text',
      p_lease_seconds: 'integer',
      p_now: 'timestamptz',
      p_cursor: 'text',
      p_counts: 'jsonb',
    },
  },
  curator_release_shard: {
    returns: 'value',
    params: { p_run_id: 'uuid', p_shard: 'integer', p_owner: 'text', p_grace_seconds: 'integer', p_now: 'timestamptz', p_cursor: 'text' },
  },
  curator_finish_shard: {
    returns: 'value',
    params: { p_run_id: 'uuid', p_shard: 'integer', p_owner: 'text', p_status: 'text', p_now: 'timestamptz', p_error: 'text' },
  },
  curator_org_admin_candidates: {
    returns: 'value',
    params: {
      p_job_type: 'text',
      p_email_type: 'text',
      p_period_key: 'text',
      p_window_start: 'timestamptz',
      p_window_end: 'timestamptz',
      p_after: 'text',
      p_limit: 'integer',
      p_subjects: 'text[]',
      p_policy: 'jsonb',
      p_at: 'timestamptz',
    },
  },
  curator_referral_candidates: {
    returns: 'value',
    params: {
      p_job_type: 'text',
      p_period_key: 'text',
      p_after: 'text',
      p_limit: 'integer',
      p_subjects: 'text[]',
      p_at: 'timestamptz',
    },
  },
  curator_expiring_credit_candidates: {
    returns: 'value',
    params: {
      p_job_type: 'text',
      p_period_key: 'text',
      p_after: 'text',
      p_limit: 'integer',
      p_subjects: 'text[]',
      p_at: 'timestamptz',
    },
  },
  curator_signal_candidate: {
    returns: 'value',
    params: {
      p_job_type: 'text',
      p_email_type: 'text',
      p_signal_id: 'text',
      p_user_id: 'uuid',
      p_child_id: 'text',
      p_policy: 'jsonb',
      p_at: 'timestamptz',
    },
  },
  curator_replay_targets: {
    returns: 'value',
    params: {
      p_job_type: 'text',
      p_veto_reason: 'text',
      p_from: 'timestamptz',
      p_to: 'timestamptz',
      p_user_ids: 'uuid[]',
      p_after_created_at: 'timestamptz',
      p_after_id: 'uuid',
      p_limit: 'integer',
      p_run_id: 'uuid',
    },
  },
  curator_credits_issued_on: { returns: 'value', params: { p_at: 'timestamptz' } },
  curator_record_decisions: {
    returns: 'value',
    params: {
      p_run_id: 'uuid',
      p_job_type: 'text',
      p_pipeline_name: 'text',
      p_email_type: 'text',
      p_policy: 'jsonb',
      p_credit_ceiling_cents: 'bigint',
      p_retake_veto_reason: 'text',
      p_retake_unknown: 'boolean',
      p_now: 'timestamptz',
      p_rows: 'jsonb',
      p_batch: 'uuid',
    },
  },
  curator_mark_requests: { returns: 'value', params: { p_batch: 'uuid', p_lease: 'jsonb', p_now: 'timestamptz' } },
  curator_record_outcomes: { returns: 'value', params: { p_now: 'timestamptz', p_rows: 'jsonb', p_progress: 'jsonb' } },
  curator_recover: { returns: 'value', params: { p_now: 'timestamptz', p_lease_seconds: 'integer', p_max_attempts: 'integer' } },
  curator_health: { returns: 'value', params: { p_now: 'timestamptz', p_since: 'timestamptz', p_expected: 'jsonb' } },
  curator_last_run: { returns: 'value', params: { p_job_type: 'text' } },
  curator_record_override: {
    returns: 'value',
    params: {
      p_pipeline_type: 'text',
      p_override_type: 'text',
      p_actor: 'text',
      p_reason: 'text',
      p_ticket: 'text',
      p_details: 'jsonb',
      p_now: 'timestamptz',
    },
  },
  curator_manual_credit: {
    returns: 'value',
    params: {
      p_user_id: 'uuid',
      p_amount: 'integer',
      p_ticket: 'text',
      p_actor: 'text',
      p_reason: 'text',
      p_expires_at: 'timestamptz',
      p_now: 'timestamptz',
    },
  },
  curator_apply_email_events: { returns: 'value', params: { p_events: 'jsonb', p_now: 'timestamptz' } },
  calculate_story_effectiveness: { returns: 'value', params: { p_window_start: 'timestamptz' } },
  archive_expired_records: { returns: 'rows', params: { p_before: 'timestamptz', p_batch_size: 'integer' } },
} as const;

export type StoreFunction = keyof typeof storeFunctions;
export type StoreArgs<F extends StoreFunction> = {
  readonly [P in keyof (typeof storeFunctions)[F]['params']]?: unknown;
};
