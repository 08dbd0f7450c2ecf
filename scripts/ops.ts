/**
 * The ops team's commands, one entry point: `npm run ops -- <command> --env production`. See `--help` and
 * runbooks/operations.md.
 */
import { createInterface } from 'node:readline/promises';
import { runOps } from '../src/ops/cli.js';

// The SDK warns on every run that its 2027 releases need Node 22 (the Lambda runs 22 already); at 3 a.m. that is
// noise between ops and the answer. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const code = await runOps(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  // Only a person at a terminal can confirm; piped or scheduled, the command needs --yes.
  ...(process.stdin.isTTY
    ? {
        async confirm(question: string) {
          const terminal = createInterface({ input: process.stdin, output: process.stdout });
          try {
            return /^y(es)?$/i.test((await terminal.question(question)).trim());
          } finally {
            terminal.close();
          }
        },
      }
    : {}),
});
// Open database pools and SDK keep-alive sockets would hold the process; the command is done.
process.exit(code);
