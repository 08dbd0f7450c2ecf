import { describe, expect, it } from 'vitest';
import { quietUntil, readClockTime, showQuietWindow, type QuietWindow } from '../../src/curator/quiet-hours.js';

const window = (start: string, end: string): QuietWindow => {
  const [from, to] = [readClockTime(start), readClockTime(end)];
  if (!from.ok || !to.ok) throw new Error(`bad window ${start}-${end}`);
  return { start: from.value, end: to.value };
};
const until = (at: string, zone: string, quiet: QuietWindow) => quietUntil(new Date(at), zone, quiet)?.toISOString() ?? null;

const night = window('21:00', '08:00');

describe('quiet hours on the family\'s own clock', () => {
  it('holds the 20:00 UTC digest in Mumbai (01:30 there) until 08:00 there, and lets it go at once in New York (15:00)', () => {
    expect(until('2027-01-04T20:00:00Z', 'Asia/Kolkata', night)).toBe('2027-01-05T02:30:00.000Z');
    expect(until('2027-01-04T20:00:00Z', 'America/New_York', night)).toBeNull();
    // 07:00 in Sydney (summer, +11): an hour before the window opens.
    expect(until('2027-01-04T20:00:00Z', 'Australia/Sydney', night)).toBe('2027-01-04T21:00:00.000Z');
    // A :45 zone: 01:45 in Kathmandu, released at 08:00 there.
    expect(until('2027-01-04T20:00:00Z', 'Asia/Kathmandu', night)).toBe('2027-01-05T02:15:00.000Z');
  });

  it('reads a window that wraps midnight on both sides of it, and one that does not', () => {
    const late = window('22:00', '06:00');
    expect(until('2027-01-10T23:30:00Z', 'Europe/London', late)).toBe('2027-01-11T06:00:00.000Z');
    expect(until('2027-01-11T03:00:00Z', 'Europe/London', late)).toBe('2027-01-11T06:00:00.000Z');
    expect(until('2027-01-11T06:00:00Z', 'Europe/London', late)).toBeNull();
    expect(until('2027-01-11T21:59:00Z', 'Europe/London', late)).toBeNull();
    const afternoon = window('13:00', '15:00');
    expect(until('2027-01-11T14:00:00Z', 'Europe/London', afternoon)).toBe('2027-01-11T15:00:00.000Z');
    expect(until('2027-01-11T15:00:00Z', 'Europe/London', afternoon)).toBeNull();
    expect(until('2027-01-11T03:00:00Z', 'Europe/London', window('08:00', '08:00'))).toBeNull();
  });

  it('keeps local hours across the night New York springs forward (2027-03-14), and ends at the jump when the end does not exist', () => {
    // 22:00 EST on the 13th: released at 08:00 EDT, 12:00 UTC (not 13:00, as a fixed offset would say).
    expect(until('2027-03-14T03:00:00Z', 'America/New_York', night)).toBe('2027-03-14T12:00:00.000Z');
    // 02:30 does not exist that night: at 01:30 EST the window ends when the clocks jump to 03:00 EDT (07:00 UTC).
    expect(until('2027-03-14T06:30:00Z', 'America/New_York', window('22:00', '02:30'))).toBe('2027-03-14T07:00:00.000Z');
    // Already 03:10 EDT: outside a window that ended at 02:30.
    expect(until('2027-03-14T07:10:00Z', 'America/New_York', window('22:00', '02:30'))).toBeNull();
  });

  it('keeps local hours across the night London springs forward (2027-03-28)', () => {
    // 22:00 GMT on the 27th: released at 08:00 BST, 07:00 UTC.
    expect(until('2027-03-27T22:00:00Z', 'Europe/London', night)).toBe('2027-03-28T07:00:00.000Z');
    // 01:30 does not exist: the window 00:30-01:30 ends when 01:00 GMT becomes 02:00 BST.
    expect(until('2027-03-28T00:45:00Z', 'Europe/London', window('00:30', '01:30'))).toBe('2027-03-28T01:00:00.000Z');
    // The next morning a window is read on BST.
    expect(until('2027-03-28T20:30:00Z', 'Europe/London', night)).toBe('2027-03-29T07:00:00.000Z');
  });

  it('ends at the next occurrence still ahead on the night a local time comes twice (New York, 2027-11-07)', () => {
    const quiet = window('22:00', '01:30');
    // 01:15 EDT: the first 01:30 (EDT) is ahead.
    expect(until('2027-11-07T05:15:00Z', 'America/New_York', quiet)).toBe('2027-11-07T05:30:00.000Z');
    // 01:15 EST, an hour later on the same clock: the second 01:30 (EST).
    expect(until('2027-11-07T06:15:00Z', 'America/New_York', quiet)).toBe('2027-11-07T06:30:00.000Z');
  });

  it('refuses a zone the IANA database does not name', () => {
    expect(() => quietUntil(new Date('2027-01-04T20:00:00Z'), 'Mars/Olympus', night)).toThrow(/Mars\/Olympus/);
  });
});

describe('a clock time as ops and the app type it', () => {
  it('reads HH:MM and refuses anything else by saying what is expected', () => {
    expect(readClockTime(' 21:30 ')).toEqual({ ok: true, value: 21 * 60 + 30 });
    expect(readClockTime('00:00')).toEqual({ ok: true, value: 0 });
    for (const bad of ['24:00', '9:30', '21:60', '9pm', '21.30', '']) {
      expect(readClockTime(bad)).toEqual({ ok: false, why: 'not a time of day as HH:MM, from 00:00 to 23:59' });
    }
    expect(showQuietWindow(night)).toBe('21:00-08:00');
    expect(showQuietWindow(window('08:00', '08:00'))).toBe('none');
  });
});
