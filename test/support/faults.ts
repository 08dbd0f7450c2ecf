import type { Mailer, Payments } from '../../src/curator/ports.js';
import type { StoreTransport } from '../../src/store/transport.js';

/** A promise that never settles: what a call of a process that was killed comes to. */
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * Faults injected into the pieces a run talks to. `fail(fn, { after, times })` lets `after` calls of one store
 * function through and makes the `times` after them throw as a dropped connection would; `freeze()` makes every later store, mailer and payments call hang for
 * ever, which to the database and the providers is exactly a process killed with SIGKILL at that point.
 */
export interface Faults {
  /** `fn` is the SQL function's name (`curator_record_outcomes`). */
  fail(fn: string, plan?: { times?: number; after?: number; message?: string }): void;
  freeze(): void;
  readonly frozen: boolean;
  /** Store function calls made, in order (after the fault plan, so a failed or frozen call is listed too). */
  readonly calls: string[];
}

export function faults(): Faults & {
  transport(inner: StoreTransport): StoreTransport;
  mailer<M extends Mailer>(inner: M): M;
  payments<P extends Payments>(inner: P): P;
} {
  const failing = new Map<string, { times: number; after: number; message: string }>();
  const calls: string[] = [];
  let frozen = false;
  return {
    calls,
    get frozen() {
      return frozen;
    },
    fail(fn, { times = 1, after = 0, message = 'Connection terminated unexpectedly' } = {}) {
      failing.set(fn, { times, after, message });
    },
    freeze() {
      frozen = true;
    },
    transport(inner) {
      return {
        call(fn, args) {
          calls.push(fn.name);
          if (frozen) return never();
          const fault = failing.get(fn.name);
          if (fault && fault.after > 0) fault.after -= 1;
          else if (fault && fault.times > 0) {
            fault.times -= 1;
            return Promise.reject(new Error(fault.message));
          }
          return inner.call(fn, args);
        },
      };
    },
    mailer(inner) {
      return new Proxy(inner, {
        get(target, property, receiver) {
          if (property === 'send') return (...args: Parameters<Mailer['send']>) => (frozen ? never() : target.send(...args));
          return Reflect.get(target, property, receiver);
        },
      });
    },
    payments(inner) {
      const wrap = <K extends 'credit' | 'reverse' | 'creditBalances'>(name: K) =>
        ((...args: unknown[]) => (frozen ? never() : (inner[name] as (...a: unknown[]) => Promise<unknown>)(...args))) as P[K];
      type P = typeof inner;
      return { ...inner, credit: wrap('credit'), reverse: wrap('reverse'), creditBalances: wrap('creditBalances') };
    },
  };
}
