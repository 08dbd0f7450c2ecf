/**
 * The ops team's commands, one entry point: `npm run ops -- <command> --env production`. See `--help` and
 * runbooks/operations.md.
 */
import { runOps } from '../src/ops/cli.js';

// The SDK warns on every run that its 2027 releases need Node 22 (the Lambda runs 22 already); at 3 a.m. that is
// noise between ops and the answer. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const code = await runOps(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
// Open database pools and SDK keep-alive sockets would hold the process; the command is done.
process.exit(code);
