import { DateTime, IANAZone } from 'luxon';
import { readClockTime, showClockTime, type ClockTime } from '../pipelines/index.js';

export { readClockTime, showClockTime, type ClockTime } from '../pipelines/index.js';

/** A family's quiet hours as local wall-clock times: start = end means none; start after end wraps midnight. */
export interface QuietWindow {
  readonly start: ClockTime;
  readonly end: ClockTime;
}

/** A window as `21:00-08:00`, or `none`. */
export function showQuietWindow(window: QuietWindow): string {
  return window.start === window.end ? 'none' : `${showClockTime(window.start)}-${showClockTime(window.end)}`;
}

/**
 * A family's own window as its row stores it (`HH:MM` both, from the RPC), or null when it chose none or the row
 * cannot be read (a hand-edited value is never guessed at: the default window applies).
 */
export function familyWindow(row: { readonly quiet_start: string | null; readonly quiet_end: string | null }): QuietWindow | null {
  if (row.quiet_start === null || row.quiet_end === null) return null;
  const [start, end] = [readClockTime(row.quiet_start), readClockTime(row.quiet_end)];
  return start.ok && end.ok ? { start: start.value, end: end.value } : null;
}

/** Whether a zone name is one the curator can compute local times in (the RPC has already checked it in Postgres). */
export function isKnownZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

const minuteMs = 60_000;

/** The zone's offset from UTC, in minutes, at an instant. */
function offsetAt(zone: IANAZone, ms: number): number {
  return zone.offset(ms);
}

/**
 * The first instant after `afterMs` at which the local clock of `zone` shows `time` on the local date `day`, or has
 * passed it: on the night the clocks go forward past it (the time does not exist), the instant they jump; on the night
 * they go back over it (the time comes twice), the first of its occurrences still ahead.
 */
function firstInstantAt(zone: IANAZone, day: { year: number; month: number; day: number }, time: ClockTime, afterMs: number): number | null {
  const wallMs = Date.UTC(day.year, day.month - 1, day.day, 0, time);
  // Offsets in force around that wall time: a transition never comes twice within a day.
  const offsets = new Set([offsetAt(zone, wallMs - 86_400_000), offsetAt(zone, wallMs), offsetAt(zone, wallMs + 86_400_000)]);
  const guesses = [...offsets].map((offset) => wallMs - offset * minuteMs).sort((a, b) => a - b);
  const occurrences = guesses.filter((ms) => wallMs - offsetAt(zone, ms) * minuteMs === ms);
  if (occurrences.length > 0) return occurrences.find((ms) => ms > afterMs) ?? null;
  // The clocks jump over the time: the first minute of the later offset, between the earliest and latest guess.
  let low = guesses[0]!;
  let high = guesses[guesses.length - 1]!;
  const later = offsetAt(zone, high);
  while (high - low > minuteMs) {
    const middle = low + Math.floor((high - low) / 2 / minuteMs) * minuteMs;
    if (offsetAt(zone, middle) === later) high = middle;
    else low = middle;
  }
  return high > afterMs ? high : null;
}

/**
 * When a send at `at` may go to a family in `zone` keeping `window`: null when the local time at `at` is outside
 * the window (send now), else the first instant after it at which the family's clock leaves the window. The window
 * is read on the local wall clock, so it keeps its hours through summer time; the night a local time does not exist
 * or comes twice is answered by {@link firstInstantAt}.
 *
 * @example
 * // 20:00 UTC is 01:30 in Mumbai: held until 08:00 there, 02:30 UTC.
 * quietUntil(new Date('2027-01-04T20:00:00Z'), 'Asia/Kolkata', { start: 21 * 60, end: 8 * 60 }) // 2027-01-05T02:30:00.000Z
 */
export function quietUntil(at: Date, zoneName: string, window: QuietWindow): Date | null {
  if (window.start === window.end) return null;
  // A run decides every family at one moment, and families share a few hundred zones: each is worked out once.
  const key = `${zoneName}|${window.start}|${window.end}|${at.getTime()}`;
  const known = answered.get(key);
  if (known !== undefined) return known === 0 ? null : new Date(known);
  if (answered.size >= answeredLimit) answered.clear();
  const until = computeQuietUntil(at, zoneName, window);
  answered.set(key, until === null ? 0 : until.getTime());
  return until;
}

const answered = new Map<string, number>();
const answeredLimit = 10_000;

function computeQuietUntil(at: Date, zoneName: string, window: QuietWindow): Date | null {
  const zone = IANAZone.create(zoneName);
  if (!zone.isValid) throw new RangeError(`time zone ${JSON.stringify(zoneName)} is not one the IANA database names`);
  const local = DateTime.fromMillis(at.getTime(), { zone });
  const minute = local.hour * 60 + local.minute;
  const wraps = window.start > window.end;
  const inside = wraps ? minute >= window.start || minute < window.end : minute >= window.start && minute < window.end;
  if (!inside) return null;
  // Inside a window that wraps, after its start: it ends on the next local date.
  const endDay = wraps && minute >= window.start ? local.set({ hour: 12 }).plus({ days: 1 }) : local;
  const end = firstInstantAt(zone, { year: endDay.year, month: endDay.month, day: endDay.day }, window.end, at.getTime());
  return end === null ? null : new Date(end);
}
