/** A table for people: a header row, then one row per item, columns padded to the widest cell. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** An address as ops may see it: the first letter and the domain (`p***@families.test`), never the whole. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}

/** A moment as on-call reads it: UTC, to the second. */
export const when = (iso: string | Date | null | undefined): string =>
  iso === null || iso === undefined ? '' : (typeof iso === 'string' ? new Date(iso) : iso).toISOString().slice(0, 19).replace('T', ' ');

/** A duration in seconds, minutes or hours. */
export function took(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
