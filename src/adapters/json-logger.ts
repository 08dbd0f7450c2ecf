import type { Logger } from '../curator/ports.js';

/** Field names that could carry an address or a secret: dropped from every line, whatever the caller passed. */
const forbidden = new Set(['email', 'to', 'recipient', 'apiKey', 'api_key', 'token', 'secret', 'password', 'authorization']);

/** The fields without those whose names could carry an address or a secret. */
export function withoutSecrets(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([key]) => !forbidden.has(key)));
}

/**
 * One JSON object per line with a top-level `level` of `INFO`, `WARN` or `ERROR` (so
 * `--filter-pattern "ERROR"` finds failures), a timestamp (from `now`: the local run passes its simulated clock)
 * and the caller's fields.
 *
 * @example
 * const log = jsonLogger((line) => process.stdout.write(line + '\n'), { service: 'curator' });
 */
export function jsonLogger(write: (line: string) => void, base: Readonly<Record<string, unknown>> = {}, now: () => Date = () => new Date()): Logger {
  const emit = (level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Readonly<Record<string, unknown>> = {}) =>
    write(JSON.stringify({ level, timestamp: now().toISOString(), message, ...base, ...withoutSecrets(fields) }));
  return {
    info: (message, fields) => emit('INFO', message, fields),
    warn: (message, fields) => emit('WARN', message, fields),
    error: (message, fields) => emit('ERROR', message, fields),
  };
}

/** A logger that keeps its lines, for tests and the local report. */
export function memoryLogger(): Logger & { readonly lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = jsonLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  return Object.assign(logger, { lines });
}
