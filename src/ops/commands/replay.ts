import { vetoReasonsInOrder, type VetoReason } from '../../curator/verdict.js';
import { isJobType } from '../../pipelines/index.js';
import { defineCommand, json, recorded, wordAt } from '../command.js';
import { ExitCode, OpsError } from '../errors.js';
import { parseTimeout } from '../follow.js';
import { checkReplayWouldRun, publishReplayRecorded } from '../publish-replay.js';

/** How often `--wait` looks at the run. */
const pollMs = 2_000;

/** `replay <jobType>`: puts the replay event of DESIGN.md section 2 on the default bus, and records it. */
export const replay = defineCommand({
  name: 'replay',
  group: 'act',
  words: '<jobType>',
  help:
    'publish the replay event on the default bus; --wait follows it and prints what it did (a dry run: its ' +
    'comparison with the last real run)',
  options: {
    period: { type: 'string', value: 'KEY', help: "the period to run again (a scheduled pipeline's period key)" },
    'dry-run': { type: 'boolean', help: 'decide and report, send and pay nothing' },
    'veto-reason': { type: 'string', value: 'REASON', help: 'the held decisions to take again (with --from and --to)' },
    from: { type: 'string', value: 'ISO', help: 'the start of the held range' },
    to: { type: 'string', value: 'ISO', help: 'its end' },
    users: { type: 'string', value: 'id,id', help: 'only these families' },
    wait: { type: 'boolean', help: 'follow the event until the curator is done and print what it did' },
    timeout: { type: 'string', value: '10m', help: 'how long --wait waits (exit 6 after; the curator goes on)', needs: 'wait' },
    reason: recorded.reason,
    ticket: recorded.ticket,
    ...json,
  },
  async run({ context, args, options, who, shown }) {
    const jobType = wordAt(args, 0, 'the jobType to replay');
    if (!isJobType(jobType)) throw new OpsError(ExitCode.usage, `unknown jobType "${jobType}"`);
    const vetoReason = options['veto-reason'];
    if (vetoReason !== undefined && !vetoReasonsInOrder.includes(vetoReason as VetoReason)) {
      throw new OpsError(ExitCode.usage, `--veto-reason must be one of ${vetoReasonsInOrder.join(', ')}`);
    }
    const wait = options.wait ? { timeoutMs: parseTimeout(options.timeout ?? '10m'), pollMs, sleep: context.sleep } : null;
    const request = {
      jobType,
      ...(options.period ? { periodKey: options.period } : {}),
      ...(vetoReason ? { vetoReason: vetoReason as VetoReason } : {}),
      ...(options.from ? { from: options.from } : {}),
      ...(options.to ? { to: options.to } : {}),
      ...(options.users ? { userIds: options.users.split(',').map((id) => id.trim()) } : {}),
      ...(options['dry-run'] ? { dryRun: true } : {}),
    };
    await checkReplayWouldRun(context, jobType, request.dryRun === true);
    return publishReplayRecorded(context, request, { ...who, reason: options.reason ?? 'manual replay' }, { wait, shown });
  },
});
