import type { Clock } from '../curator/ports.js';

/** The machine's clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told: tests and the local simulation. */
export interface ManualClock extends Clock {
  set(at: Date): void;
  advance(ms: number): void;
}

export function manualClock(start: Date): ManualClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    set: (at) => {
      current = at.getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/**
 * A simulated clock that runs at real speed from where it was last set: `npm start` sets it to each event's time,
 * and a job then takes its real wall time in simulated time too, so the durations its runs record are real. It
 * never goes back: set to a time already passed (the job before ran past it), it keeps going from now.
 */
export function flowingClock(start: Date): ManualClock {
  let base = start.getTime();
  let setAt = performance.now();
  const now = () => base + (performance.now() - setAt);
  return {
    now: () => new Date(Math.floor(now())),
    set: (at) => {
      base = Math.max(at.getTime(), now());
      setAt = performance.now();
    },
    advance: (ms) => {
      base += ms;
    },
  };
}
