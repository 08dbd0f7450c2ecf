import type { SupabaseClient } from '@supabase/supabase-js';
import { StoreError } from './errors.js';
import type { StoreArgs, StoreFunction } from './functions.js';
import type { StoreTransport } from './transport.js';

/**
 * Calls the store's SQL functions through Supabase's REST API (`POST /rest/v1/rpc/{fn}`) with the service role:
 * the production transport, where the database is not on a connection the Lambda holds.
 */
export function supabaseTransport(client: SupabaseClient): StoreTransport {
  return {
    async call<F extends StoreFunction>(fn: F, args: StoreArgs<F>) {
      const body = Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
      const { data, error } = await client.rpc(fn, body);
      if (error) throw new StoreError(`${fn} failed: ${error.message}`, { cause: error });
      return data;
    },
  };
}
