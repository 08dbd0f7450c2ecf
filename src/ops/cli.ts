import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { environments, type Environment } from '../pipelines/index.js';
import type { OpsCommand, OptionSpec } from './command.js';
import { credit } from './commands/credit.js';
import { disable } from './commands/disable.js';
import { enable } from './commands/enable.js';
import { event } from './commands/event.js';
import { falsePositive } from './commands/false-positive.js';
import { falsePositives } from './commands/false-positives.js';
import { family } from './commands/family.js';
import { health } from './commands/health.js';
import { hold } from './commands/hold.js';
import { holds } from './commands/holds.js';
import { inDoubt } from './commands/in-doubt.js';
import { pageTest } from './commands/page-test.js';
import { release } from './commands/release.js';
import { replay } from './commands/replay.js';
import { run } from './commands/run.js';
import { runs } from './commands/runs.js';
import { settle } from './commands/settle.js';
import { startAll } from './commands/start-all.js';
import { stopAll } from './commands/stop-all.js';
import { switches } from './commands/switches.js';
import { thresholds } from './commands/thresholds.js';
import { tune } from './commands/tune.js';
import { whatIf } from './commands/what-if.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { openContext, type OpsIo } from './open-context.js';

export type { OpsIo } from './open-context.js';

/** Every ops command, in the order the help lists them; each is `src/ops/commands/<name>.ts`. */
const commands: readonly OpsCommand[] = [
  switches,
  thresholds,
  runs,
  run,
  family,
  event,
  falsePositives,
  inDoubt,
  holds,
  whatIf,
  disable,
  enable,
  stopAll,
  startAll,
  replay,
  settle,
  health,
  pageTest,
  credit,
  tune,
  falsePositive,
  hold,
  release,
] as unknown as readonly OpsCommand[];

const byName = new Map(commands.map((command) => [command.name, command]));

/** The options every command takes. */
const common = {
  env: { type: 'string', value: 'production|staging', help: 'the environment (default production)' },
  region: { type: 'string', value: 'us-east-1', help: 'AWS region (default: AWS_REGION, else us-east-1)' },
  actor: { type: 'string', value: 'NAME', help: 'who is acting (default: your login name)' },
  help: { type: 'boolean', help: 'this help' },
} as const satisfies Record<string, OptionSpec>;

const column = 35;
const width = 118;

/** Words wrapped to the help's width, the first line beside `lead`, the rest under the text's column. */
function wrapped(lead: string, text: string): string[] {
  const lines: string[] = [];
  let line = lead.length >= column - 1 ? '' : lead.padEnd(column);
  if (line === '') lines.push(lead);
  for (const word of text.split(' ')) {
    const base = line === '' ? ' '.repeat(column) : line;
    if (base.length + word.length > width && base.trim() !== '' && base.length > column) {
      lines.push(base.trimEnd());
      line = ' '.repeat(column) + word + ' ';
    } else line = base + word + ' ';
  }
  lines.push(line.trimEnd());
  return lines;
}

const optionLine = (name: string, spec: OptionSpec) => `--${name}${spec.value ? ` ${spec.value}` : ''}`;

/** One command's lines of help: its words, what it does, and each option of its own. */
function commandHelp(command: OpsCommand): string[] {
  const lines = wrapped(`  ${command.name}${command.words ? ` ${command.words}` : ''}`, command.help);
  for (const [name, spec] of Object.entries(command.options)) {
    lines.push(...wrapped(`      ${optionLine(name, spec)}`, spec.help + (spec.needs ? ` (with --${spec.needs})` : '')));
  }
  return lines;
}

/** The whole help, made from the command files. */
export function usageText(): string {
  const group = (which: OpsCommand['group']) => commands.filter((command) => command.group === which).flatMap(commandHelp);
  return [
    'usage: npm run ops -- <command> [arguments] [--env production|staging] [--region us-east-1]',
    '',
    'commands to look (change nothing)',
    ...group('look'),
    '',
    'commands to act (each records who acted and why in human_overrides)',
    ...group('act'),
    '',
    'options of every command',
    ...Object.entries(common).map(([name, spec]) => wrapped(`  ${optionLine(name, spec)}`, spec.help).join('\n')),
    '  Every period, time, amount and tunable is checked before anything is called, published or written: a refusal',
    '  exits 2 and names the argument (runbooks/operations.md, "What the curator refuses"). An option a command does',
    '  not take is refused, as is an empty value and an option that does nothing without another.',
    '',
    'exit codes: 0 done, 1 failed, unhealthy or not found, 2 bad usage or configuration (or not confirmed),',
    '            3 no AWS credentials, 4 endpoint unreachable, 5 done but the human_overrides record could not be written,',
    '            6 --wait timed out (the curator goes on)',
    'The database is the one the deployed curator uses: its SUPABASE_URL from GetFunctionConfiguration of',
    'storytailor-intelligence-curator-{env} and the service key from its Secrets Manager secret, so AWS credentials',
    'are all on-call needs. Locally: DATABASE_URL, or SUPABASE_URL with SUPABASE_SERVICE_ROLE_KEY.',
  ].join('\n');
}

/** The help as the README and the tests read it. */
export const usage = usageText();

/** A negative number as typed (`-500`): kept a word, so the command refuses it by name instead of as an option. */
const negative = /^-\d[\d.,_eE]*$/;
const negativeMark = '\u0000negative:';

/**
 * Reads the command line strictly against the command's own options: an option it does not take, an empty value,
 * or an option that does nothing without another is exit 2, named.
 */
function readCommandLine(argv: readonly string[]) {
  const marked = argv.map((word) => (negative.test(word) ? negativeMark + word : word));
  const unmark = (word: string) => (word.startsWith(negativeMark) ? word.slice(negativeMark.length) : word);
  // First loosely, to find the command among the words; then strictly, with its options.
  const loose = parseArgs({ args: marked, allowPositionals: true, strict: false, options: parseOptionsOf(common, ...commands.map((command) => command.options)) });
  const name = loose.positionals[0];
  const command = name === undefined ? undefined : byName.get(name);
  if (name !== undefined && command === undefined && loose.values.help !== true) throw new OpsError(ExitCode.usage, `unknown command "${name}"\n\n${usage}`);
  const { values, positionals } = parseArgs({
    args: marked,
    allowPositionals: true,
    strict: true,
    options: parseOptionsOf(common, command?.options ?? {}),
  });
  const options: Record<string, string | boolean | undefined> = {};
  for (const [key, value] of Object.entries(values)) {
    const read = Array.isArray(value) ? value.at(-1) : value;
    if (typeof read === 'string') {
      const text = unmark(read);
      if (text.trim() === '') throw new OpsError(ExitCode.usage, `--${key} is empty: give it a value`);
      options[key] = text;
    } else options[key] = read;
  }
  for (const [key, spec] of Object.entries(command?.options ?? {})) {
    if (spec.needs !== undefined && options[key] !== undefined && options[key] !== false && !options[spec.needs]) {
      throw new OpsError(ExitCode.usage, `--${key} does nothing without --${spec.needs}`);
    }
    if (spec.type === 'boolean') options[key] ??= false;
  }
  return { command, options, args: positionals.slice(1).map(unmark) };
}

function parseOptionsOf(...specs: ReadonlyArray<Readonly<Record<string, OptionSpec>>>) {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const spec of specs) for (const [name, option] of Object.entries(spec)) options[name] = { type: option.type };
  return options;
}

/**
 * Runs one ops command and answers its exit code; never throws. Output goes to `io.out`, errors to `io.err`.
 *
 * @example
 * process.exitCode = await runOps(process.argv.slice(2), process.env, { out: console.log, err: console.error });
 */
export async function runOps(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: OpsIo): Promise<number> {
  try {
    const { command, options, args } = readCommandLine(argv);
    if (command === undefined) {
      io.out(usage);
      return options.help ? ExitCode.ok : ExitCode.usage;
    }
    if (options.help) {
      io.out(commandHelp(command).join('\n'));
      return ExitCode.ok;
    }
    const environment = (options.env as string | undefined) ?? 'production';
    if (!(environments as readonly string[]).includes(environment)) {
      throw new OpsError(ExitCode.usage, `--env must be one of ${environments.join(', ')}, got ${environment}`);
    }
    const region = (options.region as string | undefined) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const context = openContext(environment as Environment, region, env, io);
    return await command.run({
      context,
      args,
      options: options as never,
      shown: { json: options.json === true },
      who: {
        actor: (options.actor as string | undefined) ?? env.USER ?? userInfo().username,
        reason: (options.reason as string | undefined) ?? '',
        ticket: (options.ticket as string | undefined) ?? null,
      },
      clock: context.clock,
      async confirm(what, question = 'Go ahead? [y/N] ') {
        for (const line of what) io.out(line);
        if (options.yes === true) return;
        if (io.confirm === undefined) throw new OpsError(ExitCode.usage, 'not confirmed: no terminal to ask on; add --yes to go ahead');
        if (!(await io.confirm(question))) throw new OpsError(ExitCode.usage, 'not confirmed: nothing was changed');
      },
    });
  } catch (error) {
    const failure =
      error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
        ? new OpsError(ExitCode.usage, `${error.message}\n\n${usage}`, { cause: error })
        : explain(error, 'ops');
    io.err(failure.message);
    return failure.exitCode;
  }
}
