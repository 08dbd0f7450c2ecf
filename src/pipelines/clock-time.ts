/** A wall-clock time of day, in minutes after local midnight (0 to 1439). */
export type ClockTime = number;

const hhmm = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Reads `HH:MM` (00:00 to 23:59, surrounding spaces forgiven) as a clock time, or says why not: the one reader for
 * the quiet-hours tunables and the family rows (which the RPC that stores them checks the same way).
 *
 * @example
 * readClockTime('21:30') // { ok: true, value: 1290 }
 * readClockTime('9pm').ok // false
 */
export function readClockTime(raw: string): { ok: true; value: ClockTime } | { ok: false; why: string } {
  const match = hhmm.exec(raw.trim());
  if (match === null) return { ok: false, why: 'not a time of day as HH:MM, from 00:00 to 23:59' };
  return { ok: true, value: Number(match[1]) * 60 + Number(match[2]) };
}

/** A clock time as `HH:MM`. */
export function showClockTime(time: ClockTime): string {
  return `${String(Math.floor(time / 60)).padStart(2, '0')}:${String(time % 60).padStart(2, '0')}`;
}
