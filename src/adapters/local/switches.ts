import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SwitchSnapshot, SwitchSource } from '../../curator/ports.js';
import { killSwitchSlugs, parameterKey, tunableNames } from '../../pipelines/index.js';

const parameterFile = z.record(z.string(), z.string());

/** Every switch on, as the stack creates them. */
function defaults(): Map<string, string> {
  return new Map(killSwitchSlugs().map((slug) => [parameterKey(slug, tunableNames.enabled), 'true']));
}

/**
 * Switches held in memory, all on unless set otherwise: tests and the local simulation flip them with `set`.
 *
 * @example
 * const switches = memorySwitches();
 * switches.set('daily-digest/enabled', 'false');
 */
export function memorySwitches(initial: Readonly<Record<string, string>> = {}): SwitchSource & {
  set(key: string, value: string): void;
  remove(key: string): void;
} {
  const parameters = defaults();
  for (const [key, value] of Object.entries(initial)) parameters.set(key, value);
  return {
    read: async (): Promise<SwitchSnapshot> => ({ parameters: new Map(parameters), stale: false }),
    set: (key, value) => {
      parameters.set(key, value);
    },
    remove: (key) => {
      parameters.delete(key);
    },
  };
}

/**
 * Switches for running without AWS: all on, then the JSON object in `CURATOR_SWITCHES` (environment), then the
 * JSON file (re-read on every call, so editing it flips a switch in a running process). Keys are relative to
 * the parameter root: `{ "daily-digest/enabled": "false", "crisis-alert/min-confidence": "0.97" }`.
 */
export function localSwitches(options: { file?: string; fromEnvironment?: string }): SwitchSource {
  const parse = (text: string, where: string) => {
    const parsed = parameterFile.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${where}: expected a JSON object of string values`);
    return parsed.data;
  };
  const fromEnvironment = options.fromEnvironment ? parse(options.fromEnvironment, 'CURATOR_SWITCHES') : {};
  return {
    async read(): Promise<SwitchSnapshot> {
      const parameters = defaults();
      for (const [key, value] of Object.entries(fromEnvironment)) parameters.set(key, value);
      if (options.file) {
        let text: string | null = null;
        try {
          text = readFileSync(options.file, 'utf8');
        } catch {
          // No file yet: the defaults and the environment stand.
        }
        if (text !== null) for (const [key, value] of Object.entries(parse(text, options.file))) parameters.set(key, value);
      }
      return { parameters, stale: false };
    },
  };
}
