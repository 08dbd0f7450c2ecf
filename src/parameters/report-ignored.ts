import type { Logger } from '../curator/ports.js';
import { shownValue } from '../pipelines/index.js';

/** A parameter under the root that the curator ignores (out of range, not a plain number, no such check), and why. */
export interface IgnoredParameter {
  /** Relative to the parameter root, e.g. `crisis-alert/type-cap-window-hours`. */
  readonly key: string;
  readonly value: string;
  readonly problem: string;
}

const keyOf = (problem: string) => problem.slice(0, problem.indexOf(':'));

/** The problems a policy or a breaker reported (`key: …`), as ignored parameters with their stored values. */
export function asIgnored(problems: readonly string[], parameters: ReadonlyMap<string, string> | null): IgnoredParameter[] {
  return problems.map((problem) => ({ key: keyOf(problem), value: parameters?.get(keyOf(problem)) ?? '', problem }));
}

/** What has been said in this container, per owner (the switch source, which lives as long as the container does). */
const said = new WeakMap<object, Set<string>>();

/**
 * Logs each ignored parameter once per distinct key and value per container: SSM is re-read every five minutes and
 * every page reads the policy, and one bad value must not fill the log. `owner` is what lives as long as the
 * container (the switch source); a new value under the same key is said again.
 */
export function reportIgnored(owner: object, logger: Logger, ignored: readonly IgnoredParameter[]): void {
  let seen = said.get(owner);
  if (seen === undefined) said.set(owner, (seen = new Set()));
  for (const entry of ignored) {
    const id = `${entry.key}=${entry.value}`;
    if (seen.has(id)) continue;
    seen.add(id);
    logger.warn('ignored a parameter; the default applies', { parameter: entry.key, value: shownValue(entry.value), problem: entry.problem });
  }
}
