import type { Clock } from '../curator/ports.js';
import type { Attribution, OpsContext } from './context.js';
import { ExitCode, OpsError } from './errors.js';

/** One option of a command: what it takes, and the line of help that says so. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** The value's placeholder in the help (`--since 24h`); a boolean has none. */
  readonly value?: string;
  readonly help: string;
  /** Another option without which this one does nothing: naming it alone is refused. */
  readonly needs?: string;
}

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : string | undefined;
export type OptionValues<O extends Readonly<Record<string, OptionSpec>>> = { readonly [K in keyof O]: ValueOf<O[K]> };

/** How ops asked to see it: tables for people, or one JSON document for scripts. */
export interface Shown {
  readonly json: boolean;
}

/** What the CLI hands a command's `run`: its words and options, read strictly, and what every command may use. */
export interface CommandCall<O extends Readonly<Record<string, OptionSpec>>> {
  readonly context: OpsContext;
  /** The words after the command's name (negative numbers among them, never read as options). */
  readonly args: readonly string[];
  readonly options: OptionValues<O>;
  /** `--json` where the command shows something. */
  readonly shown: Shown;
  /** Who acts (`--actor`, else the login name) and why, for the commands that record. */
  readonly who: Attribution;
  /** Before something that stops everything: the lines that say what, then `--yes`, a yes on the terminal, or exit 2. */
  readonly confirm: (what: readonly string[], question?: string) => Promise<void>;
  readonly clock: Clock;
}

/**
 * One ops command as `src/ops/commands/<name>.ts` declares it: its words and options with their help (the CLI's
 * `--help` is made from these), and what it does. The CLI reads every option strictly against `options`, so an
 * option a command does not take is refused by name.
 */
export interface OpsCommand<O extends Readonly<Record<string, OptionSpec>> = Readonly<Record<string, OptionSpec>>> {
  readonly name: string;
  /** `look` changes nothing; `act` changes something and records who did it. */
  readonly group: 'look' | 'act';
  /** Its words after the name, as the help shows them (`<userId> <cents>`). */
  readonly words: string;
  /** What it does, in a sentence or three. */
  readonly help: string;
  readonly options: O;
  run(call: CommandCall<O>): Promise<ExitCode>;
}

/** Declares a command, keeping its options' types for `run`. */
export function defineCommand<const O extends Readonly<Record<string, OptionSpec>>>(command: OpsCommand<O>): OpsCommand<O> {
  return command;
}

/** The options every command that records an action takes. */
export const recorded = {
  reason: { type: 'string', value: '...', help: 'why (required)' },
  ticket: { type: 'string', value: 'T', help: 'the ticket the action answers' },
} as const satisfies Record<string, OptionSpec>;

/** The option of every command that shows something. */
export const json = { json: { type: 'boolean', help: 'one JSON document instead of tables' } } as const satisfies Record<string, OptionSpec>;

/** The option of the commands that stop everything or change a clinical threshold. */
export const yes = { yes: { type: 'boolean', help: 'go ahead without the question (needed with no terminal)' } } as const satisfies Record<string, OptionSpec>;

/** A word the command needs: refused by name when it is missing or empty. */
export function wordAt(args: readonly string[], index: number, what: string): string {
  const word = args[index];
  if (word === undefined || word.trim() === '') throw new OpsError(ExitCode.usage, `${what} is required`);
  return word;
}

/** An option the command needs: refused by name when it is missing or empty (`--ticket ""`). */
export function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new OpsError(ExitCode.usage, `--${flag} is required`);
  if (value.trim() === '') throw new OpsError(ExitCode.usage, `--${flag} is empty: say it in words`);
  return value;
}

/** The reason a recording command was given, required. */
export const reasonOf = (who: Attribution, options: { readonly reason?: string | undefined }): Attribution => ({
  ...who,
  reason: required(options.reason, 'reason'),
});
