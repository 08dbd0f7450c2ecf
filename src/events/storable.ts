/**
 * Postgres stores neither a NUL character in text or jsonb nor an unpaired UTF-16 surrogate in jsonb (JSON.stringify
 * writes one as `\udXXX`, which jsonb refuses), and its JSON parser gives up on very deep nesting. An event that
 * passed validation can still carry any of them; these helpers say whether a string can be stored as it is, and
 * clean a value into one that can, so evidence is kept rather than thrown away with the event.
 */

/** Nesting kept in a cleaned value; deeper parts are replaced by a note. */
export const maxStoredDepth = 32;

const replacement = '\uFFFD';

/** The string can be stored in text and jsonb as it is. */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}

/** The string with NULs and unpaired surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  return isStorableText(text) ? text : text.replaceAll('\u0000', replacement).toWellFormed();
}

/** A value cleaned for jsonb, and whether anything had to change. */
export interface Cleaned<T> {
  readonly value: T;
  readonly changed: boolean;
}

/**
 * Cleans a JSON value for jsonb: strings and keys through {@link storableText}, parts nested deeper than
 * {@link maxStoredDepth} replaced by a note saying so, non-finite numbers by null.
 *
 * @example
 * storableJson({ note: 'a\u0000b' }) // { value: { note: 'a\uFFFDb' }, changed: true }
 */
export function storableJson(value: unknown, depth = 0): Cleaned<unknown> {
  if (typeof value === 'string') {
    const text = storableText(value);
    return { value: text, changed: text !== value };
  }
  if (typeof value === 'number') return Number.isFinite(value) ? { value, changed: false } : { value: null, changed: true };
  if (value === null || typeof value !== 'object') return { value: value ?? null, changed: value === undefined };
  if (depth >= maxStoredDepth) return { value: `[nested deeper than ${maxStoredDepth} levels; cut]`, changed: true };
  let changed = false;
  if (Array.isArray(value)) {
    const items = value.map((item) => {
      const cleaned = storableJson(item, depth + 1);
      changed ||= cleaned.changed;
      return cleaned.value;
    });
    return { value: items, changed };
  }
  const entries = Object.entries(value).map(([key, item]) => {
    const cleanKey = storableText(key);
    const cleaned = storableJson(item, depth + 1);
    changed ||= cleaned.changed || cleanKey !== key;
    return [cleanKey, cleaned.value] as const;
  });
  return { value: Object.fromEntries(entries), changed };
}
