import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/db/sql-client.js';
import { errorFields } from '../../src/errors/error-fields.js';
import { StoreError } from '../../src/store/errors.js';
import { storeFunctions } from '../../src/store/functions.js';
import { sqlTransport } from '../../src/store/sql-transport.js';

/** A database that refuses every statement the way Postgres quotes a row's values back. */
const refusing = {
  query: async () => {
    throw Object.assign(new Error('duplicate key value violates unique constraint "email_suppressions_email_key": Key (email)=(jo.smith@families.test) already exists'), { code: '23505' });
  },
} as unknown as SqlClient;

describe('a caught error in a log line', () => {
  it('keeps the store call, its cause and their names, with every address taken out', async () => {
    const failure = await sqlTransport(refusing).call(storeFunctions.lastRun, { jobType: 'daily_digest', periodKey: '2026-11-23' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).cause).toMatchObject({ code: '23505' });
    const fields = errorFields(failure);
    expect(fields).toEqual({
      error: 'curator_last_run failed: duplicate key value violates unique constraint "email_suppressions_email_key": Key (email)=(<address>) already exists',
      error_name: 'StoreError',
      error_causes: ['Error: duplicate key value violates unique constraint "email_suppressions_email_key": Key (email)=(<address>) already exists'],
    });
    expect(JSON.stringify(fields)).not.toContain('@');
  });

  it('reads what is thrown that is not an Error, and stops a cause chain at five', () => {
    expect(errorFields('lost connection to ann@x.org')).toEqual({ error: 'lost connection to <address>' });
    let deep: Error = new Error('root');
    for (let n = 1; n <= 8; n += 1) deep = new Error(`wrap ${n}`, { cause: deep });
    expect(errorFields(deep).error_causes).toHaveLength(5);
  });
});
