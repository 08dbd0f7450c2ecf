import type { StoreFunction } from './functions.js';

/**
 * Calls one SQL function, as its declaration says (functions.ts), with its arguments by their declared names, and
 * answers its result: the value for `returns: 'value'` functions, the rows for `returns: 'rows'` ones. jsonb
 * arguments are plain objects or arrays; timestamps are Dates. The answer is checked by the store, not here.
 */
export interface StoreTransport {
  call(fn: StoreFunction, args: Readonly<Record<string, unknown>>): Promise<unknown>;
}
