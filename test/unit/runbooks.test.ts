import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { anchorOf, sectionOf } from '../../src/metrics/alarm-table.js';
import { runbookSections } from '../../src/ops-summary/checklist.js';
import { alarms } from '../../src/metrics/alarms.js';
import { metricCatalog } from '../../src/metrics/catalog.js';
import { runOps } from '../../src/ops/cli.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const runbooks = readdirSync(new URL('../../runbooks/', import.meta.url)).map((file) => [`runbooks/${file}`, read(`runbooks/${file}`)] as const);
const documents = [...runbooks, ['README.md', read('README.md')] as const];

/** Shell commands of the fenced bash blocks, continuation lines joined. */
function shellCommands(text: string): string[] {
  return [...text.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((block) =>
    block[1]!
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#')),
  );
}

describe('the runbooks', () => {
  it('have every section the morning email sends people to', () => {
    const headings = (text: string) => [...text.matchAll(/^#{2,4} (.+)$/gm)].map((match) => anchorOf(match[1]!));
    for (const [flag, link] of Object.entries(runbookSections)) {
      const [file, anchor] = link.split('#') as [string, string];
      expect(headings(read(file)), `${flag}: ${link}`).toContain(anchor);
    }
  });

  const opsCommands = [...new Set(documents.flatMap(([, text]) => [...text.matchAll(/npm run ops -- ([a-z-]+)/g)].map((match) => match[1]!)))];

  it('use only ops commands that exist', async () => {
    expect(opsCommands.length).toBeGreaterThanOrEqual(6);
    for (const command of opsCommands) {
      const out: string[] = [];
      const code = await runOps([command, '--help'], {}, { out: (line) => out.push(line), err: (line) => out.push(line) });
      expect(code, command).toBe(0);
      expect(out.join('\n'), command).toContain(`  ${command}`);
    }
  });

  it('write every ops command line with flags the command takes', async () => {
    const lines = documents.flatMap(([file, text]) => [
      ...shellCommands(text).filter((line) => line.startsWith('npm run ops -- ')).map((line) => [file, line] as const),
      ...[...text.matchAll(/`(npm run ops -- [^`]+)`/g)].map((match) => [file, match[1]!] as const),
    ]);
    expect(lines.length).toBeGreaterThanOrEqual(30);
    for (const [file, line] of lines) {
      // Words as the shell splits them (quoted strings whole), up to a comment.
      const words = [...line.replace(/\s+#.*$/, '').matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
      const out: string[] = [];
      // Flags are checked (strictly, values included) before --help answers; the command's own checks need a database.
      const code = await runOps([...words.slice(4), '--help'], {}, { out: (text) => out.push(text), err: (text) => out.push(text) });
      expect(code, `${file}: ${line}\n${out.join('\n')}`).toBe(0);
    }
  });

  it('use only aws commands that awscli knows', () => {
    const commands = documents.flatMap(([file, text]) => shellCommands(text).filter((line) => line.startsWith('aws ')).map((line) => [file, line] as const));
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const [file, line] of commands) {
      const [, service, operation] = line.split(/\s+/);
      const help = spawnSync('aws', [service!, operation!, 'help'], { env: { ...process.env, PAGER: 'cat' }, encoding: 'utf8' });
      expect(help.status, `${file}: ${line}`).toBe(0);
    }
  });

  it('give every alarm a row and a section saying what to do', () => {
    const monitoring = read('runbooks/monitoring.md');
    for (const alarm of alarms) {
      expect(monitoring, alarm.name).toContain(`| [${alarm.name}](#`);
      // A family of alarms (one per email type, per rule) shares one section; each alarm's description links to it.
      expect(monitoring, alarm.name).toContain(`### ${sectionOf(alarm)}\n`);
    }
  });

  it('name every metric the system publishes', () => {
    const monitoring = read('runbooks/monitoring.md');
    for (const name of Object.keys(metricCatalog)) expect(monitoring, name).toContain(`\`${name}\``);
  });
});
