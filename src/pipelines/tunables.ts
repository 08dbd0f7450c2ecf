import { pipelines, tunableRanges, type JobType } from './catalog.js';
import { readClockTime, showClockTime } from './clock-time.js';
import type { NumericTunable, PipelineTunable, TunableRange } from './definition.js';

/**
 * The range ops may set a tunable to: a pipeline's own where the catalog gives one, else the catalog's.
 *
 * @example
 * rangeOf('crisis_alert', 'sla-minutes') // { kind: 'decimal', min: 5, max: 60 }
 * rangeOf('all', 'email-cap-24h')        // { kind: 'integer', min: 1, max: 20 }
 */
export function rangeOf(scope: JobType | 'all', name: NumericTunable): TunableRange {
  const own = scope === 'all' ? undefined : (pipelines[scope] as { ranges?: Partial<Record<PipelineTunable, TunableRange>> }).ranges?.[name as PipelineTunable];
  return own ?? tunableRanges[name];
}

/** A tunable's value as ops type it: `21:30` for a time of day, the number itself otherwise. */
export function showTunable(range: TunableRange, value: number): string {
  return range.kind === 'clock' ? showClockTime(value) : String(value);
}

/** A range in words: `a whole number from 1 to 3`, `a decimal number from 0.5 to 0.99`, `a time of day, HH:MM, from 18:00 to 23:59`. */
export function describeRange(range: TunableRange): string {
  const kind = range.kind === 'integer' ? 'a whole number' : range.kind === 'clock' ? 'a time of day, HH:MM,' : 'a decimal number';
  return `${kind} from ${showTunable(range, range.min)} to ${showTunable(range, range.max)}`;
}


/** Digits with at most one decimal point: no sign, exponent, hex, binary, octal, separators or words. */
const plainDecimal = /^(?:\d+(?:\.\d+)?|\.\d+)$/;

/** A stored value as a log line or a message may show it: quoted, and cut at 40 characters. */
export function shownValue(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

/**
 * Reads a tunable's value as ops typed it (surrounding spaces forgiven): a plain decimal number within its range,
 * or why not. `1e300`, `0x10`, `0b11`, `0o7`, `+1`, `Infinity` and `1_000` are not plain decimal numbers.
 *
 * @example
 * readTunable('0.9', rangeOf('crisis_alert', 'min-confidence'))  // { ok: true, value: 0.9 }
 * readTunable('1e300', rangeOf('crisis_alert', 'type-cap-window-hours')).ok // false
 * readTunable('22:30', rangeOf('all', 'quiet-hours-start'))       // { ok: true, value: 1350 }
 */
export function readTunable(raw: string, range: TunableRange): { ok: true; value: number } | { ok: false; why: string } {
  const text = raw.trim();
  const refuse = (what: string) => ({ ok: false as const, why: `${what}; expected ${describeRange(range)}` });
  if (range.kind === 'clock') {
    const time = readClockTime(text);
    if (!time.ok) return refuse('not a time of day as HH:MM');
    return time.value < range.min || time.value > range.max ? refuse('out of range') : time;
  }
  if (!plainDecimal.test(text)) return refuse('not a plain decimal number');
  const value = Number(text);
  if (range.kind === 'integer' && !Number.isInteger(value)) return refuse('not a whole number');
  if (value < range.min || value > range.max) return refuse('out of range');
  return { ok: true, value };
}
