import type { SupabaseClient } from '@supabase/supabase-js';
import { StoreError } from './errors.js';
import { sqlParameterName } from './functions.js';
import type { StoreTransport } from './transport.js';

/**
 * Calls the store's SQL functions through Supabase's REST API (`POST /rest/v1/rpc/{fn}`) with the service role:
 * the production transport, where the database is not on a connection the Lambda holds. Every declared parameter
 * is sent, by its SQL name, null when unset, so PostgREST resolves exactly the declared function.
 */
export function supabaseTransport(client: SupabaseClient): StoreTransport {
  return {
    async call(fn, args) {
      const body = Object.fromEntries(Object.keys(fn.params).map((name) => [sqlParameterName(name), args[name] ?? null]));
      const { data, error } = await client.rpc(fn.name, body);
      if (error) throw new StoreError(`${fn.name} failed: ${error.message}`, { cause: error });
      return data;
    },
  };
}
