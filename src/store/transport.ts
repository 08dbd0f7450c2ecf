import type { StoreArgs, StoreFunction } from './functions.js';

/**
 * Calls one SQL function by name with named arguments and answers its result: the value for `returns: 'value'`
 * functions, the rows for `returns: 'rows'` ones. jsonb arguments are plain objects or arrays; timestamps are Dates.
 */
export interface StoreTransport {
  call<F extends StoreFunction>(fn: F, args: StoreArgs<F>): Promise<unknown>;
}
